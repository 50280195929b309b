package media

import (
	"errors"
	"testing"
)

func TestSayEveryPhrase(t *testing.T) {
	names := []string{"many", "you-have", "no", "new-message", "new-messages", "saved-message",
		"saved-messages", "and", "deleted", "saved", "end"}
	for n := 0; n <= 20; n++ {
		names = append(names, CountWord(n))
	}
	for _, name := range names {
		s, err := Say(name)
		if err != nil {
			t.Fatalf("Say(%q): %v", name, err)
		}
		// Every phrase is a spoken word or more: between 0.1 s and 3 s.
		if len(s) < 800 || len(s) > 3*8000 {
			t.Errorf("Say(%q): %d samples", name, len(s))
		}
	}
}

func TestSayJoinsWithPauses(t *testing.T) {
	a, _ := Say("you-have")
	b, _ := Say("2")
	both, err := Say("you-have", "2")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(a) + len(b) + len(GenerateSilence(speechGap)); len(both) != want {
		t.Fatalf("joined %d samples, want %d", len(both), want)
	}
}

func TestSayUnknownPhrase(t *testing.T) {
	if _, err := Say("you-have", "nonsense"); !errors.Is(err, ErrUnknownPhrase) {
		t.Fatalf("Say(nonsense) = %v, want ErrUnknownPhrase", err)
	}
	if CountWord(21) != "many" || CountWord(-1) != "many" || CountWord(7) != "7" {
		t.Fatal("CountWord")
	}
}
