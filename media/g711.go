package media

import (
	"fmt"
	"math/bits"
)

// G.711 (ITU-T, RFC 3551 PCMU and PCMA): 8-bit logarithmic samples at
// 8 kHz. Decoding goes through two 256-entry tables built from the
// standard's segment formulas when the package loads; encoding computes
// the segment with a bit-length.

var (
	ulawTable [256]int16
	alawTable [256]int16
)

func init() {
	for i := range 256 {
		ulawTable[i] = ulawDecode(byte(i))
		alawTable[i] = alawDecode(byte(i))
	}
}

// ulawDecode expands one µ-law byte: the bits are inverted on the wire;
// then sign, 3-bit segment, 4-bit step, biased by 0x84.
func ulawDecode(u byte) int16 {
	u = ^u
	seg := (u >> 4) & 0x07
	step := int32(u & 0x0F)
	v := ((step << 3) + 0x84) << seg
	v -= 0x84
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// alawDecode expands one A-law byte: even bits are inverted on the wire
// (0x55); then sign (1 is positive), segment, step.
func alawDecode(a byte) int16 {
	a ^= 0x55
	seg := (a >> 4) & 0x07
	v := int32(a&0x0F) << 4
	switch seg {
	case 0:
		v += 8
	default:
		v = (v + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(v)
	}
	return int16(-v)
}

// ULawToLinear decodes one PCMU sample to 16-bit linear PCM.
func ULawToLinear(u byte) int16 { return ulawTable[u] }

// ALawToLinear decodes one PCMA sample to 16-bit linear PCM.
func ALawToLinear(a byte) int16 { return alawTable[a] }

// LinearToULaw encodes a 16-bit linear sample as PCMU.
func LinearToULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	v := int32(s)
	var sign byte
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	seg := bits.Len32(uint32(v)) - 8 // v is in [0x84, 0x7FFF]: segment 0..7
	step := byte(v>>(seg+3)) & 0x0F
	return ^(sign | byte(seg)<<4 | step)
}

// LinearToALaw encodes a 16-bit linear sample as PCMA.
func LinearToALaw(s int16) byte {
	v := int32(s) >> 3 // A-law works on 13 bits
	sign := byte(0x80)
	if v < 0 {
		v, sign = -v-1, 0
	}
	var seg int
	if v >= 0x20 {
		seg = bits.Len32(uint32(v)) - 5 // 13-bit magnitude: segment 1..7
	}
	var step byte
	if seg < 2 {
		step = byte(v>>1) & 0x0F
	} else {
		step = byte(v>>seg) & 0x0F
	}
	return (sign | byte(seg)<<4 | step) ^ 0x55
}

// DecodeG711 appends the linear samples of a PCMU or PCMA payload to dst.
func DecodeG711(dst []int16, pt uint8, payload []byte) ([]int16, error) {
	var table *[256]int16
	switch pt {
	case PayloadPCMU:
		table = &ulawTable
	case PayloadPCMA:
		table = &alawTable
	default:
		return dst, fmt.Errorf("decode payload type %d: %w", pt, ErrUnsupportedCodec)
	}
	for _, b := range payload {
		dst = append(dst, table[b])
	}
	return dst, nil
}

// EncodeG711 appends the PCMU or PCMA encoding of samples to dst.
func EncodeG711(dst []byte, pt uint8, samples []int16) ([]byte, error) {
	var enc func(int16) byte
	switch pt {
	case PayloadPCMU:
		enc = LinearToULaw
	case PayloadPCMA:
		enc = LinearToALaw
	default:
		return dst, fmt.Errorf("encode payload type %d: %w", pt, ErrUnsupportedCodec)
	}
	for _, s := range samples {
		dst = append(dst, enc(s))
	}
	return dst, nil
}
