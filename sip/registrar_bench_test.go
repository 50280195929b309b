package sip

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"
)

// slowRegistrations is a store whose every write takes as long as an
// fsync on a slow disk.
type slowRegistrations struct{ memRegistrations }

func (s *slowRegistrations) SaveRegistrations(puts []Registration, deletes []RegistrationKey) error {
	time.Sleep(5 * time.Millisecond)
	return s.memRegistrations.SaveRegistrations(puts, deletes)
}

// BenchmarkRegistrarUpdate is the registrar's share of a REGISTER that
// adds a contact (500 users, 10 contacts each, so at the limit every
// REGISTER also pushes one out): in memory only, the baseline, against
// kept in a store that takes 5 ms per write. The REGISTER never waits for
// the store, so the two should cost about the same.
func BenchmarkRegistrarUpdate(b *testing.B) {
	for _, tt := range []struct {
		name string
		kept bool
	}{{"in memory only", false}, {"kept in a slow store", true}} {
		b.Run(tt.name, func(b *testing.B) {
			r := newRegistrar()
			if tt.kept {
				w := newRegistrationWriter(&slowRegistrations{*newMemRegistrations()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
				w.start()
				defer func() { _ = w.close() }()
				r.sink = w
			}
			users := make([]string, 500)
			for i := range users {
				users[i] = strconv.Itoa(20000 + i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u := users[i%len(users)]
				bd := phoneBinding(u, 1024+i%60000, time.Hour)
				r.update(u, registerChange{add: []binding{bd}, callID: strconv.Itoa(i), cseq: 1}, 10)
			}
		})
	}
}
