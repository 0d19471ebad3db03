package adminapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
)

func TestSlotsServePriorityFirstThenArrivalOrder(t *testing.T) {
	synctest.Test(t, testSlotsOrder)
}

func testSlotsOrder(t *testing.T) {
	s := newSlots(1)
	ctx := context.Background()
	if err := s.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 4)
	var wg sync.WaitGroup
	for _, w := range []struct {
		name     string
		priority bool
	}{{"read-1", false}, {"read-2", false}, {"patch-1", true}, {"patch-2", true}} {
		wg.Go(func() {
			if err := s.acquire(ctx, w.priority); err != nil {
				t.Error(err)
			}
			order <- w.name
			s.release()
		})
		synctest.Wait() // queued, in this order
	}
	s.release()
	wg.Wait()
	close(order)
	var got []string
	for name := range order {
		got = append(got, name)
	}
	want := []string{"patch-1", "patch-2", "read-1", "read-2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("served %v, want %v", got, want)
		}
	}
	if s.free != 1 {
		t.Errorf("free = %d after everyone released, want 1", s.free)
	}
}

func TestSlotsCancelledWaiterLeavesTheQueue(t *testing.T) {
	synctest.Test(t, testSlotsCancel)
}

func testSlotsCancel(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.acquire(ctx, true) }()
	synctest.Wait()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire = %v, want Canceled", err)
	}
	s.release()
	if s.free != 1 || len(s.high) != 0 {
		t.Errorf("free %d, high waiters %d; want 1 and 0", s.free, len(s.high))
	}
}
