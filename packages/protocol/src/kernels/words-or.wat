;; Bitwise OR of `count` u32 words (WebAssembly SIMD128), for the range check of masked uploads:
;; every word is below 2^bits exactly when the OR of all of them is. Eight words per turn in two
;; independent v128 chains, then the tail word by word.
(module
  (memory (export "memory") 1)

  (func (export "orWords") (param $at i32) (param $count i32) (result i32)
    (local $end i32) (local $blocks i32) (local $a v128) (local $b v128) (local $or i32)
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $blocks
      (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const -8)) (i32.const 2))))
    (block $doneBlocks
      (loop $eight
        (br_if $doneBlocks (i32.ge_u (local.get $at) (local.get $blocks)))
        (local.set $a (v128.or (local.get $a) (v128.load (local.get $at))))
        (local.set $b (v128.or (local.get $b) (v128.load offset=16 (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 32)))
        (br $eight)))
    (local.set $a (v128.or (local.get $a) (local.get $b)))
    (local.set $or
      (i32.or
        (i32.or (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
        (i32.or (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
    (block $doneTail
      (loop $tail
        (br_if $doneTail (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $or (i32.or (local.get $or) (i32.load (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $tail)))
    (local.get $or)))
