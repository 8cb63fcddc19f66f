const PIECES_PER_BLOCK = 1024;

/**
 * Text collected piece by piece and read once at the end (a quoted field that spans many lines).
 * Every 1024 pieces are joined into one flat block, so a million short pieces cost about their
 * characters, not a million string objects or a million-deep chain of concatenations.
 */
export class TextPieces {
  private blocks: string[] = [];
  private pieces: string[] = [];

  add(piece: string): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    if (this.pieces.length === PIECES_PER_BLOCK) {
      this.blocks.push(this.pieces.join(''));
      this.pieces = [];
    }
  }

  /** The text collected so far followed by `tail`; leaves the collection empty. */
  take(tail: string): string {
    this.pieces.push(tail);
    const text = this.blocks.length === 0 ? this.pieces.join('') : this.blocks.join('') + this.pieces.join('');
    this.blocks = [];
    this.pieces = [];
    return text;
  }
}
