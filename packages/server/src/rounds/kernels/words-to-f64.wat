;; Adds `count` u32 words to as many f64 values, in place (WebAssembly SIMD128): the high limb of
;; the round's exact sum takes one batch of masked uploads. Every value stays an integer below
;; 2^53 (the accumulator checks that), so each f64 addition is exact, as in JavaScript. Four words
;; per turn, each pair widened with f64x2.convert_low_i32x4_u; then the tail word by word.
(module
  (memory (export "memory") 1)

  (func (export "addWordsToF64") (param $sums i32) (param $words i32) (param $count i32)
    (local $end i32) (local $blocks i32) (local $w v128)
    (local.set $end (i32.add (local.get $words) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $blocks
      (i32.add
        (local.get $words)
        (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $doneBlocks
      (loop $four
        (br_if $doneBlocks (i32.ge_u (local.get $words) (local.get $blocks)))
        (local.set $w (v128.load (local.get $words)))
        (v128.store (local.get $sums)
          (f64x2.add (v128.load (local.get $sums)) (f64x2.convert_low_i32x4_u (local.get $w))))
        (v128.store offset=16 (local.get $sums)
          (f64x2.add
            (v128.load offset=16 (local.get $sums))
            (f64x2.convert_low_i32x4_u
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w)))))
        (local.set $words (i32.add (local.get $words) (i32.const 16)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 32)))
        (br $four)))
    (block $doneTail
      (loop $tail
        (br_if $doneTail (i32.ge_u (local.get $words) (local.get $end)))
        (f64.store (local.get $sums)
          (f64.add (f64.load (local.get $sums)) (f64.convert_i32_u (i32.load (local.get $words)))))
        (local.set $words (i32.add (local.get $words) (i32.const 4)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
        (br $tail)))))
