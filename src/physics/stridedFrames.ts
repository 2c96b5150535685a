/**
 * The frames of a batch as one strided block for the addon, when they are views on one buffer at a constant stride
 * (the frames of a chunk read from an SPE file): the addon then reads one typed array instead of one per frame,
 * whose Node-API calls cost ~1 µs a frame on the calling thread (~1 ms per 1,024-frame chunk).
 */
import type { CountsFrame } from '../quality/prepare';

/** Frame k is data[k·stride, k·stride + frame length). */
export interface StridedFrames {
  data: CountsFrame;
  stride: number;
  count: number;
}

type CountsFrameConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => CountsFrame;

/** The frames as one strided block, or null when they are not views of one type and length at a constant stride. */
export function stridedFrames(frames: ArrayLike<CountsFrame>): StridedFrames | null {
  const count = frames.length;
  if (count < 2) {
    return null;
  }
  const first = frames[0];
  const kind = first.constructor;
  const buffer = first.buffer;
  const length = first.length;
  const bytes = first.BYTES_PER_ELEMENT;
  const strideBytes = frames[1].byteOffset - first.byteOffset;
  if (strideBytes < length * bytes || strideBytes % bytes !== 0) {
    return null;
  }
  for (let k = 1; k < count; k++) {
    const frame = frames[k];
    if (
      frame.constructor !== kind ||
      frame.buffer !== buffer ||
      frame.length !== length ||
      frame.byteOffset !== first.byteOffset + k * strideBytes
    ) {
      return null;
    }
  }
  const stride = strideBytes / bytes;
  const data = new (kind as CountsFrameConstructor)(buffer, first.byteOffset, (count - 1) * stride + length);
  return { data, stride, count };
}
