// A tensor as plain data, the unit of checkpoints and of the state that crosses to and from workers.

export type NamedTensor = { name: string; data: Float32Array; shape: number[] };
