package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/wirefeed/wirefeed/internal/redact"
)

// newLogger builds the process's logger from the config. Every line it
// writes goes through red first, so no feed URL's credentials or secret
// parameters reach the logs, whichever component logged them (errors from
// net/http quote whole URLs).
func newLogger(w io.Writer, level, format string, red *redact.Redactor) *slog.Logger {
	rv := new(redactorVar)
	rv.Store(red)
	return newLeveledLogger(w, new(slog.LevelVar), level, format, rv)
}

// newLeveledLogger builds a redacting logger whose level lv and redactor
// rv can change later (a config reload); it starts at level.
func newLeveledLogger(w io.Writer, lv *slog.LevelVar, level, format string, rv *redactorVar) *slog.Logger {
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(&redactingHandler{next: h, rv: rv})
}

// redactorVar holds the Redactor of the running config; a reload swaps it.
// Its zero value holds nil, which redacts the default parameters.
type redactorVar struct {
	p atomic.Pointer[redact.Redactor]
}

func (v *redactorVar) Load() *redact.Redactor   { return v.p.Load() }
func (v *redactorVar) Store(r *redact.Redactor) { v.p.Store(r) }

// redactingHandler passes the message and every attribute value of a
// record through the current Redactor before the next handler formats it.
type redactingHandler struct {
	next slog.Handler
	rv   *redactorVar
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	red := h.rv.Load()
	out := slog.NewRecord(r.Time, r.Level, red.Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(red, a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(h.rv.Load(), a)
	}
	return &redactingHandler{next: h.next.WithAttrs(clean), rv: h.rv}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), rv: h.rv}
}

// attr redacts one attribute: strings and errors as text, groups member
// by member, anything else that formats as text by its formatted form.
// Numbers, times, durations and booleans carry no URL and pass as they are.
func (h *redactingHandler) attr(red *redact.Redactor, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, red.Text(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(red, g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, red.Text(err.Error()))
		}
		return slog.String(a.Key, red.Text(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
