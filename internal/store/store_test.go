package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/syncbot/syncbot/internal/store"
)

func TestTargetKey(t *testing.T) {
	for _, tt := range []struct {
		name string
		t    store.Target
		want string // "" = not bound
	}{
		{"sync", store.Target{Kind: "sync", GroupID: "g1", AppID: "a1", ServiceID: "s1"}, "sync/g1/a1"},
		{"sync without service id", store.Target{Kind: "sync", GroupID: "g1", AppID: "a1"}, "sync/g1/a1"},
		{"trigger", store.Target{Kind: "trigger", GroupID: "g1", AppID: "a1", Name: "t1"}, "trigger/g1/a1/t1"},
		{"cluster", store.Target{Kind: "cluster", GroupID: "g1", Name: "c1"}, "cluster/g1//c1"},
		{"zero", store.Target{}, ""},
		{"no kind", store.Target{GroupID: "g1", AppID: "a1"}, ""},
		{"no group", store.Target{Kind: "sync", AppID: "a1"}, ""},
		{"neither app nor name", store.Target{Kind: "sync", GroupID: "g1", ServiceID: "s1"}, ""},
		{"slash in a field", store.Target{Kind: "sync", GroupID: "g1", AppID: "a1/x"}, ""},
		{"slash in the service id", store.Target{Kind: "sync", GroupID: "g1", AppID: "a1", ServiceID: "s/1"}, ""},
		{"the legacy kind", store.Target{Kind: "alias", GroupID: "g1", AppID: "a1"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.Key(); got != tt.want {
				t.Errorf("Key() = %q, want %q", got, tt.want)
			}
			if got := tt.t.Bound(); got != (tt.want != "") {
				t.Errorf("Bound() = %v, want %v", got, tt.want != "")
			}
		})
	}
	if k := store.LegacyKey("prod"); k != "alias/prod" {
		t.Errorf("LegacyKey(prod) = %q", k)
	}
}

// Code that handles a lost race handles a lost lease.
func TestErrLeaseLostIsAConflict(t *testing.T) {
	err := fmt.Errorf("fence op 1: %w", store.ErrLeaseLost)
	if !errors.Is(err, store.ErrLeaseLost) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("errors.Is(%v): lease lost %v, conflict %v; want both", err,
			errors.Is(err, store.ErrLeaseLost), errors.Is(err, store.ErrConflict))
	}
	if errors.Is(store.ErrConflict, store.ErrLeaseLost) {
		t.Error("every conflict is a lost lease")
	}
	if store.ErrLeaseLost.Error() != "lease lost" {
		t.Errorf("ErrLeaseLost says %q", store.ErrLeaseLost)
	}
}
