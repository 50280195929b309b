package billing

import (
	"unicode"
	"unicode/utf8"
)

// Text encodings, as carriers report them.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// Segment sizes: a lone message carries 160 septets or 70 UTF-16 units;
// each part of a concatenated message loses room to its header.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// SegmentInfo is how a text is sent and billed.
type SegmentInfo struct {
	Encoding string `json:"encoding"`
	Segments int    `json:"segments"`
	// Characters counts user-perceived characters (grapheme clusters): a
	// flag, a family emoji or a letter with its accents is one.
	Characters int `json:"characters"`
	// Units are septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int `json:"units"`
}

// gsmBasic is the GSM 03.38 default alphabet (one septet each; ESC is not
// a character a text can contain).
var gsmBasic = func() map[rune]bool {
	const chars = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	m := make(map[rune]bool, 128)
	for _, r := range chars {
		m[r] = true
	}
	return m
}()

// gsmSeptets is a rune's size in GSM-7, 0 when it has none.
func gsmSeptets(r rune) int {
	if r < utf8.RuneSelf {
		// Every ASCII printable but '`' is in GSM-7, eight of them only
		// in the extension table.
		switch r {
		case '\n', '\r':
			return 1
		case '\f', '^', '{', '}', '\\', '[', ']', '~', '|':
			return 2
		case '`', 0x7F:
			return 0
		}
		if r < ' ' {
			return 0
		}
		return 1
	}
	if gsmBasic[r] {
		return 1
	}
	if r == '€' {
		return 2
	}
	return 0
}

func ucs2Units(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// Segments counts the parts a text is sent in, as Twilio counts them: GSM-7
// while every character is in the GSM alphabet (extension characters take
// two septets), else UCS-2 (characters beyond the BMP take two units). A
// part never ends inside an escape pair, a surrogate pair or a grapheme
// cluster, so a part may hold less than its maximum. An empty text has no
// segments.
func Segments(text string) SegmentInfo {
	info := SegmentInfo{Encoding: EncodingGSM7}
	if text == "" {
		return info
	}
	for _, r := range text {
		if gsmSeptets(r) == 0 {
			info.Encoding = EncodingUCS2
			break
		}
	}
	size, single, part := gsmSeptets, gsmSingle, gsmPart
	if info.Encoding == EncodingUCS2 {
		size, single, part = ucs2Units, ucs2Single, ucs2Part
	}

	costs := make([]int, 0, len(text))
	forEachGrapheme(text, func(cluster string) {
		c := 0
		for _, r := range cluster {
			c += size(r)
		}
		costs = append(costs, c)
		info.Units += c
	})
	info.Characters = len(costs)
	if info.Units <= single {
		info.Segments = 1
		return info
	}

	segments, used := 1, 0
	place := func(c int) {
		if used+c > part {
			segments++
			used = 0
		}
		used += c
	}
	i := 0
	forEachGrapheme(text, func(cluster string) {
		c := costs[i]
		i++
		if c <= part {
			place(c)
			return
		}
		// A cluster longer than a whole part (a pathological run of
		// combining marks) must be split: at least keep its characters.
		for _, r := range cluster {
			place(size(r))
		}
	})
	info.Segments = segments
	return info
}

// Grapheme cluster segmentation after Unicode UAX #29, reduced to what
// decides where a text part may end: CR LF, combining and spacing marks,
// Hangul syllable sequences, emoji ZWJ sequences, modifiers, variation
// selectors, tag sequences and regional-indicator pairs.

type gcb uint8

const (
	gcbOther gcb = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

func graphemeBreak(r rune) gcb {
	switch {
	case r == '\r':
		return gcbCR
	case r == '\n':
		return gcbLF
	case r < 0x20 || r >= 0x7F && r < 0xA0:
		return gcbControl
	case r < 0x300:
		return gcbOther
	case r == 0x200D:
		return gcbZWJ
	case r == 0x200C, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F, r == 0xFF9E, r == 0xFF9F:
		return gcbExtend
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gcbRI
	case r >= 0x1100 && r <= 0x115F, r >= 0xA960 && r <= 0xA97C:
		return gcbL
	case r >= 0x1160 && r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return gcbV
	case r >= 0x11A8 && r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return gcbT
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gcbLV
		}
		return gcbLVT
	case unicode.In(r, unicode.Mn, unicode.Me):
		return gcbExtend
	case unicode.Is(unicode.Mc, r):
		return gcbSpacingMark
	case r == 0x2028, r == 0x2029, r == 0xFEFF, r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x206F:
		return gcbControl
	}
	return gcbOther
}

// extPict approximates Extended_Pictographic: the emoji blocks and the
// older symbols that emoji sequences start from.
func extPict(r rune) bool {
	switch {
	case r == 0xA9, r == 0xAE, r == 0x203C, r == 0x2049, r == 0x2122, r == 0x2139:
		return true
	case r >= 0x2194 && r <= 0x21AA, r >= 0x231A && r <= 0x23FF, r >= 0x25AA && r <= 0x25FE:
		return true
	case r >= 0x2600 && r <= 0x27BF, r >= 0x2934 && r <= 0x2935, r >= 0x2B05 && r <= 0x2B55:
		return true
	case r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
		return true
	case r >= 0x1F000 && r <= 0x1FAFF:
		return !(r >= 0x1F1E6 && r <= 0x1F1FF) && !(r >= 0x1F3FB && r <= 0x1F3FF)
	case r >= 0x1FC00 && r <= 0x1FFFD:
		return true
	}
	return false
}

// joins reports whether no boundary falls between prev and next.
func joins(prev, next gcb, emojiZWJ bool, riOdd bool, nextRune rune) bool {
	switch {
	case prev == gcbCR && next == gcbLF:
		return true
	case prev == gcbCR || prev == gcbLF || prev == gcbControl:
		return false
	case next == gcbCR || next == gcbLF || next == gcbControl:
		return false
	case prev == gcbL && (next == gcbL || next == gcbV || next == gcbLV || next == gcbLVT):
		return true
	case (prev == gcbLV || prev == gcbV) && (next == gcbV || next == gcbT):
		return true
	case (prev == gcbLVT || prev == gcbT) && next == gcbT:
		return true
	case next == gcbExtend || next == gcbZWJ || next == gcbSpacingMark:
		return true
	case prev == gcbZWJ && emojiZWJ && extPict(nextRune):
		return true
	case prev == gcbRI && next == gcbRI && riOdd:
		return true
	}
	return false
}

// forEachGrapheme calls fn with each grapheme cluster of s in order.
func forEachGrapheme(s string, fn func(cluster string)) {
	start := 0
	var prev gcb
	var pict, emojiZWJ bool // cluster so far is ExtPict Extend* (ZWJ)
	ris := 0                // regional indicators in the current run
	for i, r := range s {
		cat := graphemeBreak(r)
		if i > 0 && !joins(prev, cat, emojiZWJ, ris%2 == 1, r) {
			fn(s[start:i])
			start = i
			pict, emojiZWJ, ris = false, false, 0
		}
		switch {
		case extPict(r):
			pict, emojiZWJ = true, false
		case cat == gcbZWJ:
			emojiZWJ = pict
		case cat == gcbExtend:
		default:
			pict, emojiZWJ = false, false
		}
		if cat == gcbRI {
			ris++
		} else {
			ris = 0
		}
		prev = cat
	}
	if start < len(s) {
		fn(s[start:])
	}
}
