package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Ack is one acknowledgement read from a socket.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack carried none
	At         time.Time
	// Latency runs from the envelope's write to the ack's read. It is zero
	// for an envelope this server never sent.
	Latency time.Duration
}

func (a Ack) clone() Ack {
	a.Payload = cloneRaw(a.Payload)
	return a
}

// recordAck stores a frame that looks like an ack, {"envelope_id":…}. Acks
// are keyed by envelope only: slack-go queues acks across a reconnect, so
// one may arrive on a different socket than its envelope went out on.
func (s *Server) recordAck(frame []byte) {
	var f struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(frame, &f) != nil || f.EnvelopeID == "" {
		return // not an ack; clients send nothing else in Socket Mode
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := Ack{EnvelopeID: f.EnvelopeID, Payload: normRaw(f.Payload), At: now}
	if sent, ok := s.sentAt[f.EnvelopeID]; ok {
		a.Latency = now.Sub(sent)
	}
	s.acks = append(s.acks, a)
	s.notifyLocked(Event{Kind: KindAck, Ack: ptr(a.clone())})
	s.bumpLocked()
}

// Acks returns every ack received, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ack, len(s.acks))
	for i, a := range s.acks {
		out[i] = a.clone()
	}
	return out
}

// WaitAck returns the first ack for envelopeID, waiting for it if needed.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := slices.IndexFunc(s.acks, func(a Ack) bool { return a.EnvelopeID == envelopeID })
		if i < 0 {
			return false
		}
		got = s.acks[i].clone()
		return true
	})
	return got, err
}

// normRaw turns an absent or null JSON value into nil and copies the rest.
func normRaw(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	return cloneRaw(b)
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func ptr[T any](v T) *T { return &v }
