package directory

import (
	"errors"
	"slices"
	"testing"

	"github.com/dialtone/dialtone/config"
)

// memNumbers is a NumberStore in memory.
type memNumbers struct{ saved []config.Number }

func (m *memNumbers) LoadNumbers() ([]config.Number, error) { return m.saved, nil }
func (m *memNumbers) SaveNumber(n config.Number) error {
	m.saved = append(m.saved, n)
	return nil
}
func (m *memNumbers) DeleteNumber(e164 string) error {
	m.saved = slices.DeleteFunc(m.saved, func(n config.Number) bool { return n.Number == e164 })
	return nil
}

// numbersOf builds Numbers over store and the test config, and keeps the
// directory each change publishes.
func numbersOf(t *testing.T, store NumberStore) (*Numbers, func() *Directory) {
	t.Helper()
	var current *Directory
	n, err := newNumbers(store, func(merged *config.Config) {
		current = New(merged, func(u, p string) string { return "" })
	})
	if err != nil {
		t.Fatal(err)
	}
	n.apply(testConfig())
	return n, func() *Directory { return current }
}

func TestAddANumber(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   config.Number
		want config.Number
		kind error
	}{
		{"a user's by name", config.Number{Number: "+1 (415) 555-0111", User: "alice"},
			config.Number{Number: "+14155550111", User: "1001", Country: "US", Type: config.TypeLocal}, nil},
		{"a group's", config.Number{Number: "+14155550111", Group: "sales"},
			config.Number{Number: "+14155550111", Group: "sales", Country: "US", Type: config.TypeLocal}, nil},
		{"not a number", config.Number{Number: "alice", User: "1001"}, config.Number{}, ErrInvalid},
		{"of another country", config.Number{Number: "+14155550111", User: "1001", Country: "GB"}, config.Number{}, ErrInvalid},
		{"a type not rented", config.Number{Number: "+14155550111", User: "1001", Type: "premium"}, config.Number{}, ErrInvalid},
		{"two owners", config.Number{Number: "+14155550111", User: "1001", Group: "sales"}, config.Number{}, ErrInvalid},
		{"no owner", config.Number{Number: "+14155550111"}, config.Number{}, ErrInvalid},
		{"no such user", config.Number{Number: "+14155550111", User: "carol"}, config.Number{}, ErrInvalid},
		{"no such group", config.Number{Number: "+14155550111", Group: "support"}, config.Number{}, ErrInvalid},
		{"already ours", config.Number{Number: "+14155550100", User: "1002"}, config.Number{}, ErrConflict},
		{"a bad forwarding target", config.Number{Number: "+14155550111", User: "1002", Forwarding: config.Forwarding{Busy: "carol"}}, config.Number{}, ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &memNumbers{}
			nums, dir := numbersOf(t, store)
			got, err := nums.Add(dir(), tt.in)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) || len(store.saved) != 0 || len(nums.All()) != 3 {
					t.Fatalf("error %v, saved %v; want %v and nothing added", err, store.saved, tt.kind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %+v, %v; want %+v", got, err, tt.want)
			}
			if dir().Number(tt.want.Number) == nil || len(store.saved) != 1 {
				t.Fatal("the number does not ring, or was not saved")
			}
			list := nums.List()
			if last := list[len(list)-1]; last.Source != "api" || last.Number.Number != tt.want.Number || list[0].Source != "config" {
				t.Fatalf("listed %+v", list)
			}
		})
	}
}

func TestAddANumberForwardingWhereItsOwnersMayNotCall(t *testing.T) {
	nums, dir := numbersOf(t, nil)
	_, err := nums.Add(dir(), config.Number{Number: "+14155550111", Group: "sales", Forwarding: config.Forwarding{Always: "+19002345678"}})
	var refused *ForwardingRefusedError
	if !errors.As(err, &refused) || refused.Field != "forwarding.always" || refused.Rule != config.PermCallsPremium {
		t.Fatalf("error %v, want the premium rule refused", err)
	}
}

func TestRemoveANumber(t *testing.T) {
	store := &memNumbers{saved: []config.Number{{Number: "+14155550111", User: "1002"}}}
	nums, dir := numbersOf(t, store)
	if dir().Number("+14155550111") == nil {
		t.Fatal("a saved number does not ring")
	}
	for _, tt := range []struct {
		number string
		kind   error
	}{
		{"+14155550100", ErrNotFound}, // the config's
		{"nonsense", ErrInvalid},
		{"+1 415 555 0111", nil},
		{"+14155550111", ErrNotFound}, // gone already
	} {
		_, err := nums.Remove(tt.number)
		if (tt.kind == nil && err != nil) || (tt.kind != nil && !errors.Is(err, tt.kind)) {
			t.Fatalf("Remove(%s) = %v, want %v", tt.number, err, tt.kind)
		}
	}
	if dir().Number("+14155550111") != nil || len(store.saved) != 0 || len(nums.All()) != 3 {
		t.Fatal("a removed number still rings or is kept")
	}
}

func TestAReloadKeepsTheAPIsNumbers(t *testing.T) {
	nums, dir := numbersOf(t, nil)
	if _, err := nums.Add(dir(), config.Number{Number: "+14155550111", User: "1002"}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Numbers = cfg.Numbers[:1]
	nums.apply(cfg)
	if got := len(nums.All()); got != 2 || dir().Number("+14155550111") == nil || dir().Number("+14155550199") != nil {
		t.Fatalf("after the reload: %d numbers, %+v", got, nums.List())
	}
}
