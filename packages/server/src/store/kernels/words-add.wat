;; In-place wrapping sum of two arrays of `count` u32 words (WebAssembly SIMD128): the exact sum
;; of a batch of masked uploads, whose capacity keeps every word of it below 2^32. Eight words per
;; turn, then the tail word by word.
(module
  (memory (export "memory") 1)

  (func (export "addWords") (param $sum i32) (param $words i32) (param $count i32)
    (local $end i32) (local $blocks i32)
    (local.set $end (i32.add (local.get $words) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $blocks
      (i32.add
        (local.get $words)
        (i32.shl (i32.and (local.get $count) (i32.const -8)) (i32.const 2))))
    (block $doneBlocks
      (loop $eight
        (br_if $doneBlocks (i32.ge_u (local.get $words) (local.get $blocks)))
        (v128.store (local.get $sum)
          (i32x4.add (v128.load (local.get $sum)) (v128.load (local.get $words))))
        (v128.store offset=16 (local.get $sum)
          (i32x4.add (v128.load offset=16 (local.get $sum)) (v128.load offset=16 (local.get $words))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
        (local.set $words (i32.add (local.get $words) (i32.const 32)))
        (br $eight)))
    (block $doneTail
      (loop $tail
        (br_if $doneTail (i32.ge_u (local.get $words) (local.get $end)))
        (i32.store (local.get $sum) (i32.add (i32.load (local.get $sum)) (i32.load (local.get $words))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 4)))
        (local.set $words (i32.add (local.get $words) (i32.const 4)))
        (br $tail)))))
