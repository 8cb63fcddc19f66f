// The two-row batch the native-training tests share: rows of 5 and 4 real tokens padded to 6,
// labels for a 3-class sequence classifier (vocab >= 251).
export const TINY_BATCH = {
  shape: [2, 6] as [number, number],
  inputIds: new Int32Array([5, 17, 29, 41, 3, 0, 5, 99, 250, 3, 0, 0]),
  attentionMask: new Int32Array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]),
  labels: new Int32Array([2, 0]),
};
