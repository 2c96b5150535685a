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

/**
 * Frames their producer declared strided (markStrided): the chunk reader's views on a block it read whole. For those,
 * stridedFrames and the frames' length check cost one lookup instead of a loop over the frames (a loop per batch on
 * the main thread, which V8 also spends an optimising compile on).
 */
const declared = new WeakMap<object, { layout: StridedFrames; frameLength: number }>();

/**
 * Declares `frames` (frame k = layout.data[k·stride, k·stride + frameLength)) to be what stridedFrames would find by
 * looking. The producer must not change the array afterwards.
 */
export function markStrided(frames: ArrayLike<CountsFrame>, layout: StridedFrames, frameLength: number): void {
  declared.set(frames, { layout, frameLength });
}

/** The length of every frame of `frames` when they were declared strided (markStrided), else null. */
export function declaredFrameLength(frames: ArrayLike<CountsFrame>): number | null {
  const entry = declared.get(frames);
  return entry !== undefined && entry.layout.count === frames.length ? entry.frameLength : null;
}

type CountsFrameConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => CountsFrame;

/** The frames as one strided block, or null when they are not views of one type and length at a constant stride. */
export function stridedFrames(frames: ArrayLike<CountsFrame>): StridedFrames | null {
  const entry = declared.get(frames);
  if (entry !== undefined && entry.layout.count === frames.length) {
    return entry.layout;
  }
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
