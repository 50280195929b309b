package voicemail

import (
	"slices"
	"testing"
)

func TestListenOrderNewFirstEachOldestFirst(t *testing.T) {
	msgs := []Message{
		{ID: "old-heard", Time: at(0), Heard: true},
		{ID: "new-2", Time: at(30)},
		{ID: "heard-2", Time: at(20), Heard: true},
		{ID: "new-1", Time: at(10)},
	}
	var got []string
	for _, m := range listenOrder(msgs) {
		got = append(got, m.ID)
	}
	if want := []string{"new-1", "new-2", "old-heard", "heard-2"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if msgs[0].ID != "old-heard" {
		t.Fatal("listenOrder changed its argument")
	}
}
