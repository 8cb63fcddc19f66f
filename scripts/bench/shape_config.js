// config.json contents of a benchmark shape ({ layers, hidden, heads, intermediate, vocab, seq }):
// one definition for every bench worker, two labels (the sequence-classification head).
'use strict';

function shapeConfig(s) {
  return {
    vocab_size: s.vocab,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    max_position_embeddings: Math.max(512, s.seq ?? 0),
    num_labels: 2,
  };
}

module.exports = { shapeConfig };
