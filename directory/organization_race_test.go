package directory

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/internal/testorg"
)

// Two requests adding the same number at once: one is added, the other
// is a conflict, and the number is stored and rented once.
func TestTwoRequestsAddingOneNumberAddItOnce(t *testing.T) {
	for range 20 {
		org, _ := testOrganization(t, testorg.PermissionsYAML, nil, nil)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = org.AddNumber(context.Background(), config.Number{Number: "+14155550103", User: "alice"})
			}()
		}
		wg.Wait()
		added := 0
		for _, err := range errs {
			switch {
			case err == nil:
				added++
			case !errors.Is(err, ErrConflict):
				t.Fatalf("add: %v, want nil or a conflict", err)
			}
		}
		n := 0
		for _, num := range org.AllNumbers() {
			if num.Number == "+14155550103" {
				n++
			}
		}
		if added != 1 || n != 1 {
			t.Fatalf("%d adds succeeded, the number is listed %d times; want 1 and 1", added, n)
		}
	}
}
