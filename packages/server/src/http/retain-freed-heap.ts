/**
 * Keeps freed heap memory in the process instead of handing it back to the kernel at once.
 *
 * Node's HTTP parser copies every chunk of a request body into a fresh `malloc`ed buffer, and those
 * buffers are freed together when the garbage collector runs. glibc returns the freed top of its
 * heap to the kernel once it exceeds `M_TRIM_THRESHOLD` (128 KiB by default), so the next uploads'
 * chunks fault the same pages in again: a perf profile of `npm run bench:server` put 13.5 % of the
 * server's main thread in those page faults, and the server's ingest rate went from 0.28–0.38 to
 * 0.54 of a bare HTTP sink once they were gone (docs/benchmarks.md).
 *
 * glibc raises its thresholds by itself when a block it had mapped with `mmap` is freed
 * (mallopt(3), "dynamic mmap threshold"): the mmap threshold becomes that block's size and the trim
 * threshold twice it. One large block freed at start-up therefore sets both, without a native
 * addon. An operator who sets `MALLOC_TRIM_THRESHOLD_`, `MALLOC_MMAP_THRESHOLD_` or
 * `MALLOC_TOP_PAD_` turns glibc's adjustment off, so those settings win. With another C library
 * this only allocates and frees the block.
 */

/**
 * Size of the block freed at start-up: allocations up to this size are then served from the heap,
 * and up to twice it stays mapped once freed. glibc adjusts only for blocks of at most 32 MiB.
 */
export const RETAINED_HEAP_BYTES = 24 * 2 ** 20;

/**
 * Raises glibc's mmap and trim thresholds to {@link RETAINED_HEAP_BYTES} and twice it. Call once,
 * when the process starts to serve uploads.
 */
export function retainFreedHeap(): void {
  // structuredClone serializes into one malloc'ed buffer of the value's size and frees it before
  // it returns (the clone it returns is a separate, garbage-collected buffer).
  structuredClone(new Uint8Array(RETAINED_HEAP_BYTES));
}
