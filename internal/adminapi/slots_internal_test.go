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

// Calls on one trip share a slot while any of them is in flight; a call
// made after they all ended takes a slot again.
func TestTripSharesOneSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSlots(1)
		ctx := withTrip(context.Background())
		r1, err := s.acquireFor(ctx, false, false)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := s.acquireFor(ctx, false, false) // joins, does not wait
		if err != nil {
			t.Fatal(err)
		}
		if s.free != 0 {
			t.Fatalf("free = %d with a trip in flight, want 0", s.free)
		}
		// A session call never rides on the trip: it queues for a slot.
		got := make(chan struct{})
		go func() {
			r, err := s.acquireFor(ctx, true, true)
			if err != nil {
				t.Error(err)
				return
			}
			close(got)
			r()
		}()
		synctest.Wait()
		if len(s.high) != 1 {
			t.Fatalf("session call: %d high waiters, want 1", len(s.high))
		}
		r1()
		select {
		case <-got:
			t.Fatal("the slot was released while a call of the trip was still in flight")
		default:
		}
		r2()
		<-got
		synctest.Wait()
		if s.free != 1 {
			t.Fatalf("free = %d after everything ended, want 1", s.free)
		}
		r3, err := s.acquireFor(ctx, false, false) // a later retry takes it again
		if err != nil {
			t.Fatal(err)
		}
		if s.free != 0 {
			t.Fatalf("free = %d, want 0", s.free)
		}
		r3()
	})
}

// A trip call waiting for the slot gives up with its context; the next
// call of the trip can still take the slot.
func TestTripWaiterHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSlots(1)
		hold, _ := s.acquireFor(context.Background(), false, false)
		trip := withTrip(context.Background())
		ctx, cancel := context.WithCancel(trip)
		done := make(chan error, 1)
		go func() { _, err := s.acquireFor(ctx, false, false); done <- err }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
		hold()
		r, err := s.acquireFor(trip, false, false)
		if err != nil {
			t.Fatal(err)
		}
		r()
		if s.free != 1 {
			t.Fatalf("free = %d, want 1", s.free)
		}
	})
}
