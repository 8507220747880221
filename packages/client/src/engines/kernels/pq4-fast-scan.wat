;; Fast scan of 4-bit product-quantisation codes (WebAssembly SIMD128), as in FAISS and ScaNN.
;;
;; Codes are laid out in blocks of 32 ads; within a block, sub-space s occupies 16 bytes whose
;; byte t holds the code of ad t in its low nibble and of ad t + 16 in its high nibble. Each
;; sub-space has a 16-entry u8 lookup table (the query's quantised partial score per centroid).
;; i8x16.swizzle looks up 16 ads at once, and the u8 partial scores are summed into u16 lanes
;; (32 sub-spaces × 255 < 2^15, so signed comparisons are exact).
;;
;; Every ad whose total beats `threshold` is appended to outIndices/outScores (i32 each; the score
;; stored is the total plus `bias`, so that the blocks of partitions with different offsets give
;; comparable scores, while `threshold` is the caller's bar less that bias). The scan
;; stops after the block that leaves fewer than 32 free slots, so the caller can raise the
;; threshold, compact, and resume; it returns the next block to scan, and stores the number of
;; filled slots at outCount.
(module
  (memory (export "memory") 1)

;; Lane l of the spilled accumulators (a0 a1 a2 a3, 8 lanes each) holds ad
  ;; 16·(l ≥ 16) + 2·(l mod 8) + ((l div 8) mod 2) of its block.
  (func $adOfLane (param $lane i32) (result i32)
    (i32.add
      (i32.add
        (i32.and (local.get $lane) (i32.const 16))
        (i32.shl (i32.and (local.get $lane) (i32.const 7)) (i32.const 1)))
      (i32.and (i32.shr_u (local.get $lane) (i32.const 3)) (i32.const 1))))

  (func (export "fastScan")
    (param $codes i32) (param $luts i32) (param $subspaces i32)
    (param $block i32) (param $blocks i32) (param $threshold i32)
    (param $outIndices i32) (param $outScores i32) (param $capacity i32)
    (param $scratch i32) (param $outCount i32) (param $bias i32)
    (result i32)
    (local $s i32) (local $at i32) (local $lut i32) (local $chunk v128) (local $lookup v128) (local $table v128) (local $nibble v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $limit v128)
    (local $filled i32) (local $lane i32) (local $score i32) (local $blockBytes i32)
    (local.set $filled (i32.load (local.get $outCount)))
    (local.set $nibble (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $limit (i16x8.splat (local.get $threshold)))
    (local.set $blockBytes (i32.shl (local.get $subspaces) (i32.const 4)))
    (local.set $at (i32.add (local.get $codes) (i32.mul (local.get $block) (local.get $blockBytes))))
    (block $done
      (loop $blocksLoop
        (br_if $done (i32.ge_u (local.get $block) (local.get $blocks)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $s (i32.const 0))
        (local.set $lut (local.get $luts))
        (loop $subspacesLoop
          (local.set $chunk (v128.load (local.get $at)))
          (local.set $table (v128.load (local.get $lut)))
          ;; Summing the u8 lookups as u16 lanes adds each even byte plus 256 × its odd neighbour
          ;; (wrapping); the odd bytes alone go to a second accumulator, so the even ones can be
          ;; recovered after the loop: cheaper than widening every lookup (as FAISS does).
          (local.set $lookup
            (i8x16.swizzle (local.get $table) (v128.and (local.get $chunk) (local.get $nibble))))
          (local.set $a0 (i16x8.add (local.get $a0) (local.get $lookup)))
          (local.set $a1 (i16x8.add (local.get $a1) (i16x8.shr_u (local.get $lookup) (i32.const 8))))
          (local.set $lookup
            (i8x16.swizzle (local.get $table)
              (v128.and (i16x8.shr_u (local.get $chunk) (i32.const 4)) (local.get $nibble))))
          (local.set $a2 (i16x8.add (local.get $a2) (local.get $lookup)))
          (local.set $a3 (i16x8.add (local.get $a3) (i16x8.shr_u (local.get $lookup) (i32.const 8))))
          (local.set $at (i32.add (local.get $at) (i32.const 16)))
          (local.set $lut (i32.add (local.get $lut) (i32.const 16)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br_if $subspacesLoop (i32.lt_u (local.get $s) (local.get $subspaces))))
        ;; Even ads' totals (wrapping arithmetic undoes the wrap), then ads in order 0‥31:
        ;; a0 ← ads 0,2,…,14 and a1 ← 1,3,…,15 (low nibbles); a2, a3 likewise for ads 16‥31.
        (local.set $a0 (i16x8.sub (local.get $a0) (i16x8.shl (local.get $a1) (i32.const 8))))
        (local.set $a2 (i16x8.sub (local.get $a2) (i16x8.shl (local.get $a3) (i32.const 8))))
        (if (v128.any_true
              (v128.or
                (v128.or (i16x8.gt_s (local.get $a0) (local.get $limit)) (i16x8.gt_s (local.get $a1) (local.get $limit)))
                (v128.or (i16x8.gt_s (local.get $a2) (local.get $limit)) (i16x8.gt_s (local.get $a3) (local.get $limit)))))
          (then
            ;; Rare once the threshold has risen: spill the 32 totals and append the winners.
            (v128.store (local.get $scratch) (local.get $a0))
            (v128.store offset=16 (local.get $scratch) (local.get $a1))
            (v128.store offset=32 (local.get $scratch) (local.get $a2))
            (v128.store offset=48 (local.get $scratch) (local.get $a3))
            (local.set $lane (i32.const 0))
            (loop $lanes
              (local.set $score
                (i32.load16_u (i32.add (local.get $scratch) (i32.shl (local.get $lane) (i32.const 1)))))
              (if (i32.gt_s (local.get $score) (local.get $threshold))
                (then
                  (i32.store (i32.add (local.get $outIndices) (i32.shl (local.get $filled) (i32.const 2)))
                    (i32.add (i32.shl (local.get $block) (i32.const 5)) (call $adOfLane (local.get $lane))))
                  (i32.store (i32.add (local.get $outScores) (i32.shl (local.get $filled) (i32.const 2)))
                    (i32.add (local.get $score) (local.get $bias)))
                  (local.set $filled (i32.add (local.get $filled) (i32.const 1)))))
              (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 32))))))
        (local.set $block (i32.add (local.get $block) (i32.const 1)))
        (br_if $done (i32.gt_u (i32.add (local.get $filled) (i32.const 32)) (local.get $capacity)))
        (br $blocksLoop)))
    (i32.store (local.get $outCount) (local.get $filled))
    (local.get $block))
)
