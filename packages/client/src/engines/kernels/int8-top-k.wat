;; int8 catalog × int16 query dot products, fused with top-K selection (WebAssembly SIMD128).
;;
;; Rows are `stride` int8 values apart (`stride` a multiple of 16, zero-padded past the row
;; length); the query holds `stride` int16 values. Each 16-byte chunk of a row is sign-extended
;; to two i16x8 vectors and multiplied by the query with i32x4.dot_i16x8_s, so the integer dot
;; product is exact (|row| ≤ 127, |query| ≤ 32767, stride ≤ 4096 cannot overflow i32).
;;
;; Every row's score `dot · scale[i] · queryScale` is offered to a buffer of the `capacity` best
;; (scores descending, ties keep the lower index first, as rows arrive in index order). Most rows
;; fail the one comparison against the buffer's last score, so selection costs almost nothing.
(module
  (memory (export "memory") 1)

  ;; Returns how many entries of bestScores/bestIndices are filled (min(count, capacity)).
  (func (export "scanTopK")
    (param $rows i32) (param $scales i32) (param $count i32) (param $stride i32)
    (param $query i32) (param $queryScale f32)
    (param $bestScores i32) (param $bestIndices i32) (param $capacity i32)
    (result i32)
    (local $i i32) (local $row i32) (local $j i32) (local $q i32)
    (local $acc v128) (local $chunk v128)
    (local $score f32) (local $threshold f32) (local $size i32) (local $pos i32) (local $prev f32)
    (local.set $threshold (f32.neg (f32.const inf)))
    (local.set $row (local.get $rows))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (local.set $q (local.get $query))
        (loop $chunks
          (local.set $chunk (v128.load (i32.add (local.get $row) (local.get $j))))
          (local.set $acc
            (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s
                (i16x8.extend_low_i8x16_s (local.get $chunk))
                (v128.load (local.get $q)))))
          (local.set $acc
            (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s
                (i16x8.extend_high_i8x16_s (local.get $chunk))
                (v128.load offset=16 (local.get $q)))))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.get $j) (local.get $stride))))
        (local.set $score
          (f32.mul
            (f32.mul
              (f32.convert_i32_s
                (i32.add
                  (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                  (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
              (f32.load (i32.add (local.get $scales) (i32.shl (local.get $i) (i32.const 2)))))
            (local.get $queryScale)))
        (if (f32.gt (local.get $score) (local.get $threshold))
          (then
            ;; Sorted insert: the new entry takes the last slot (or a fresh one) and moves up.
            (if (i32.lt_u (local.get $size) (local.get $capacity))
              (then
                (local.set $pos (local.get $size))
                (local.set $size (i32.add (local.get $size) (i32.const 1))))
              (else (local.set $pos (i32.sub (local.get $capacity) (i32.const 1)))))
            (block $placed
              (loop $shift
                (br_if $placed (i32.eqz (local.get $pos)))
                (local.set $prev
                  (f32.load (i32.add (local.get $bestScores)
                    (i32.shl (i32.sub (local.get $pos) (i32.const 1)) (i32.const 2)))))
                (br_if $placed (i32.eqz (f32.lt (local.get $prev) (local.get $score))))
                (f32.store (i32.add (local.get $bestScores) (i32.shl (local.get $pos) (i32.const 2)))
                  (local.get $prev))
                (i32.store (i32.add (local.get $bestIndices) (i32.shl (local.get $pos) (i32.const 2)))
                  (i32.load (i32.add (local.get $bestIndices)
                    (i32.shl (i32.sub (local.get $pos) (i32.const 1)) (i32.const 2)))))
                (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
                (br $shift)))
            (f32.store (i32.add (local.get $bestScores) (i32.shl (local.get $pos) (i32.const 2)))
              (local.get $score))
            (i32.store (i32.add (local.get $bestIndices) (i32.shl (local.get $pos) (i32.const 2)))
              (local.get $i))
            (if (i32.eq (local.get $size) (local.get $capacity))
              (then
                (local.set $threshold
                  (f32.load (i32.add (local.get $bestScores)
                    (i32.shl (i32.sub (local.get $capacity) (i32.const 1)) (i32.const 2)))))))))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowsLoop)))
    (local.get $size))
)
