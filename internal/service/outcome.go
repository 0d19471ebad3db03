package service

import "context"

// An outcome recorder rides in the context of one command or click, so the
// decision points deep in a flow can name how it ended for the metrics
// without every function returning it.
type outcomeKey struct{}

type outcome struct{ v string }

func withOutcome(ctx context.Context, initial string) (context.Context, *outcome) {
	o := &outcome{v: initial}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

func setOutcome(ctx context.Context, v string) {
	if o, ok := ctx.Value(outcomeKey{}).(*outcome); ok {
		o.v = v
	}
}

func (s *Service) observe(verb, outcome string) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(verb, outcome)
	}
}
