package billing

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSegments(t *testing.T) {
	const (
		family = "👨\u200d👩\u200d👧\u200d👦"
		flagUS = "🇺🇸"
		thumb  = "👍🏽"
		keycap = "1\ufe0f\u20e3"
	)
	rep := strings.Repeat
	tests := []struct {
		name       string
		text       string
		encoding   string
		segments   int
		characters int
	}{
		{"an empty text has no segments", "", EncodingGSM7, 0, 0},
		{"plain English is GSM-7 in one segment", "Hello, world!", EncodingGSM7, 1, 13},
		{"160 GSM characters fit one segment", rep("a", 160), EncodingGSM7, 1, 160},
		{"161 GSM characters take two segments of 153", rep("a", 161), EncodingGSM7, 2, 161},
		{"306 GSM characters take two segments", rep("a", 306), EncodingGSM7, 2, 306},
		{"307 GSM characters take three segments", rep("a", 307), EncodingGSM7, 3, 307},
		{"GSM accented letters stay GSM-7", "Ça va? élève, ñoño, Ärger, ØÅÆ £5 ¥ §", EncodingGSM7, 1, 37},
		{"80 extension characters fill one segment", rep("{", 80), EncodingGSM7, 1, 80},
		{"81 extension characters need two", rep("{", 81), EncodingGSM7, 2, 81},
		{"the euro sign counts two septets", rep("€", 80) + "a", EncodingGSM7, 2, 81},
		{"form feed counts two septets", rep("\f", 81), EncodingGSM7, 2, 81},
		{"an escape pair is never split across parts", rep("a", 152) + "€" + rep("a", 152), EncodingGSM7, 3, 305},
		{"CR LF is one character", "a\r\nb", EncodingGSM7, 1, 3},
		{"a backtick is not GSM and forces UCS-2", "`", EncodingUCS2, 1, 1},
		{"a lowercase c cedilla is not GSM", "ç", EncodingUCS2, 1, 1},
		{"one Chinese character forces UCS-2", "Hello 你好", EncodingUCS2, 1, 8},
		{"70 UCS-2 characters fit one segment", rep("你", 70), EncodingUCS2, 1, 70},
		{"71 UCS-2 characters take two segments of 67", rep("你", 71), EncodingUCS2, 2, 71},
		{"134 UCS-2 characters take two segments", rep("你", 134), EncodingUCS2, 2, 134},
		{"135 UCS-2 characters take three segments", rep("你", 135), EncodingUCS2, 3, 135},
		{"an emoji outside the BMP counts two units", rep("😀", 35), EncodingUCS2, 1, 35},
		{"36 emoji take two segments", rep("😀", 36), EncodingUCS2, 2, 36},
		{"33 emoji fill one part of a long message", rep("😀", 66), EncodingUCS2, 2, 66},
		{"a surrogate pair is never split across parts", rep("你", 66) + "😀" + rep("你", 66), EncodingUCS2, 3, 133},
		{"a ZWJ family is one character", family, EncodingUCS2, 1, 1},
		{"a ZWJ family is never split across parts", rep("你", 60) + family + rep("你", 10), EncodingUCS2, 2, 71},
		{"a flag is one character and two flags are two", flagUS + "🇬🇧", EncodingUCS2, 1, 2},
		{"three regional indicators are a flag and a half", "🇺🇸🇬", EncodingUCS2, 1, 2},
		{"a skin-tone modifier joins its emoji", thumb, EncodingUCS2, 1, 1},
		{"a keycap sequence is one character", keycap, EncodingUCS2, 1, 1},
		{"a heart with a variation selector is one character", "❤\ufe0f", EncodingUCS2, 1, 1},
		{"a combining accent joins its letter", "e\u0301", EncodingUCS2, 1, 1},
		{"Hangul jamo form one syllable", "\u1112\u1161\u11ab", EncodingUCS2, 1, 1},
		{"Hangul syllables are one character each", "한국어", EncodingUCS2, 1, 3},
		{"a ZWJ between letters does not join them", "a\u200db", EncodingUCS2, 1, 2},
		{"invalid UTF-8 is sent as UCS-2", "\xff", EncodingUCS2, 1, 1},
		{"a run of combining marks longer than a part is split", "a" + rep("\u0301", 100), EncodingUCS2, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Segments(tt.text)
			if got.Encoding != tt.encoding || got.Segments != tt.segments || got.Characters != tt.characters {
				t.Errorf("Segments = %+v, want %s %d segments %d characters", got, tt.encoding, tt.segments, tt.characters)
			}
		})
	}
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("{", 81), "👨\u200d👩\u200d👧", "🇺🇸🇬🇧🇫", "e\u0301\u0301", "\r\n\r", "한국어", "\xff\xfe", strings.Repeat("😀", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Segments(text)
		if text == "" {
			if got.Segments != 0 {
				t.Fatalf("empty text: %+v", got)
			}
			return
		}
		if got.Segments < 1 || got.Segments > len(text) {
			t.Fatalf("%q: %d segments for %d bytes", text, got.Segments, len(text))
		}
		if got.Characters < 1 || got.Characters > utf8.RuneCountInString(text) {
			t.Fatalf("%q: %d characters", text, got.Characters)
		}
		single, part := gsmSingle, gsmPart
		if got.Encoding == EncodingUCS2 {
			single, part = ucs2Single, ucs2Part
		}
		if got.Units <= single && got.Segments != 1 {
			t.Fatalf("%q: %d units in %d segments", text, got.Units, got.Segments)
		}
		if got.Units > single && got.Segments < (got.Units+part-1)/part {
			t.Fatalf("%q: %d units cannot fit %d segments", text, got.Units, got.Segments)
		}
		var rebuilt strings.Builder
		forEachGrapheme(text, func(c string) {
			if c == "" {
				t.Fatal("empty cluster")
			}
			rebuilt.WriteString(c)
		})
		if rebuilt.String() != text {
			t.Fatalf("clusters do not rebuild %q", text)
		}
	})
}

func BenchmarkSegments(b *testing.B) {
	text := strings.Repeat("Hello from dialtone, your call is booked 😀 ", 6)
	for b.Loop() {
		Segments(text)
	}
}
