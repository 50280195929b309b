package media

import (
	"testing"
)

func TestG711Decode(t *testing.T) {
	tests := []struct {
		name string
		dec  func(byte) int16
		in   byte
		want int16
	}{
		{name: "µ-law 0xFF is zero", dec: ULawToLinear, in: 0xFF, want: 0},
		{name: "µ-law 0x7F is negative zero", dec: ULawToLinear, in: 0x7F, want: 0},
		{name: "µ-law 0x80 is the positive maximum", dec: ULawToLinear, in: 0x80, want: 32124},
		{name: "µ-law 0x00 is the negative maximum", dec: ULawToLinear, in: 0x00, want: -32124},
		{name: "µ-law 0xFE is the smallest positive step", dec: ULawToLinear, in: 0xFE, want: 8},
		{name: "µ-law 0xEF starts segment one", dec: ULawToLinear, in: 0xEF, want: 132},
		{name: "A-law 0xD5 is the smallest positive value", dec: ALawToLinear, in: 0xD5, want: 8},
		{name: "A-law 0x55 is the smallest negative value", dec: ALawToLinear, in: 0x55, want: -8},
		{name: "A-law 0xAA is the positive maximum", dec: ALawToLinear, in: 0xAA, want: 32256},
		{name: "A-law 0x2A is the negative maximum", dec: ALawToLinear, in: 0x2A, want: -32256},
		{name: "A-law 0xC5 starts segment one", dec: ALawToLinear, in: 0xC5, want: 264},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.dec(tt.in); got != tt.want {
				t.Errorf("decode(%#02x) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestG711RoundTrip(t *testing.T) {
	codecs := []struct {
		name string
		enc  func(int16) byte
		dec  func(byte) int16
	}{
		{name: "µ-law", enc: LinearToULaw, dec: ULawToLinear},
		{name: "A-law", enc: LinearToALaw, dec: ALawToLinear},
	}
	for _, c := range codecs {
		t.Run(c.name+" re-encodes every code to itself", func(t *testing.T) {
			for code := range 256 {
				b := byte(code)
				if c.name == "µ-law" && b == 0x7F {
					continue // negative zero encodes as 0xFF
				}
				if got := c.enc(c.dec(b)); got != b {
					t.Errorf("encode(decode(%#02x)=%d) = %#02x", b, c.dec(b), got)
				}
			}
		})
		t.Run(c.name+" quantizes every sample within its segment's step", func(t *testing.T) {
			for s := -32768; s <= 32767; s++ {
				got := int(c.dec(c.enc(int16(s))))
				mag := max(s, -s)
				// the step doubles per segment: 1/16 of the magnitude plus the
				// smallest step bounds the error (with clipping at the top)
				tol := mag/16 + 16
				if mag > 32000 {
					tol = 1100
				}
				if d := got - s; d > tol || d < -tol {
					t.Fatalf("sample %d comes back as %d", s, got)
				}
			}
		})
		t.Run(c.name+" encoding keeps the order of samples", func(t *testing.T) {
			prev := c.dec(c.enc(-32768))
			for s := -32767; s <= 32767; s += 7 {
				v := c.dec(c.enc(int16(s)))
				if v < prev {
					t.Fatalf("sample %d decodes to %d, below %d", s, v, prev)
				}
				prev = v
			}
		})
	}
	t.Run("the slice helpers refuse other payload types", func(t *testing.T) {
		_, err := DecodeG711(nil, 9, []byte{1})
		wantErr(t, err, ErrUnsupportedCodec)
		_, err = EncodeG711(nil, 18, []int16{1})
		wantErr(t, err, ErrUnsupportedCodec)
		pcm := must(DecodeG711(nil, PayloadPCMA, must(EncodeG711(nil, PayloadPCMA, []int16{0, 1000, -1000}))))
		if len(pcm) != 3 || pcm[1] < 900 || pcm[2] > -900 {
			t.Errorf("round trip %v", pcm)
		}
	})
}

func BenchmarkDecodeG711(b *testing.B) {
	payload := make([]byte, 160)
	dst := make([]int16, 0, 160)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = DecodeG711(dst[:0], PayloadPCMU, payload)
	}
}
