// The learner's WebAssembly kernels (src/learn/tfjs/wasm-kernels.ts registers them with tfjs's wasm
// backend). The module imports its memory: it is instantiated on the memory of tfjs's own wasm module and
// works on tensors in place, by address. It owns no memory of its own (no data, no heap): every buffer,
// scratch space included, is allocated by tfjs and passed in.
export { gemmBatch, transpose } from './gemm';
export { lstmForward, lstmForwardScratch, lstmBackward, lstmBackwardScratch } from './lstm';
export { lstmStepCf, lstmStepCfScratch } from './lstm-cf';
export { convForward, convBackward, convScratch } from './conv';
export { sexp } from './vmath';
export { rmsprop, adam } from './optim';
