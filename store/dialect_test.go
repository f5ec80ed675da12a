package store

import (
	"slices"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`UPDATE meta SET value = ?1 WHERE key = 'x' AND value < ?1`, `UPDATE meta SET value = $1 WHERE key = 'x' AND value < $1`},
		{`SELECT id FROM items WHERE guid = ?1 OR source_guid = ?1 LIMIT ?2`, `SELECT id FROM items WHERE guid = $1 OR source_guid = $1 LIMIT $2`},
		// Quoted strings and identifiers keep their question marks.
		{`SELECT '?', "a?b" FROM t WHERE x = ?`, `SELECT '?', "a?b" FROM t WHERE x = $1`},
		{`SELECT 'it''s ?' WHERE y IN (?,?)`, `SELECT 'it''s ?' WHERE y IN ($1,$2)`},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestPGArgs(t *testing.T) {
	in := []any{true, "x", false, int64(7), "a\x00b", "c\xffd"}
	got := pgArgs(in)
	if want := []any{int64(1), "x", int64(0), int64(7), "a\uFFFDb", "c\uFFFDd"}; !slices.Equal(got, want) {
		t.Errorf("pgArgs(%v) = %v, want %v", in, got, want)
	}
	if in[0] != true {
		t.Error("pgArgs changed its argument")
	}
	plain := []any{"a", 1}
	if got := pgArgs(plain); &got[0] != &plain[0] {
		t.Error("pgArgs copied arguments that needed no conversion")
	}
}

func TestPGVectorAndPhrase(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   string
	}{
		{"positions per field, two apart", []string{"Talks in Вена", "Talks"}, `'talks':1,5 'in':2 'вена':3`},
		{"accents and case folded", []string{"São Paulo"}, `'sao':1 'paulo':2`},
		{"unspaced scripts cut into characters", []string{"南海局势"}, `'南':1 '海':2 '局':3 '势':4`},
		{"nothing", []string{"", "  "}, ``},
	}
	for _, tt := range tests {
		if got := pgVector(tt.fields...); got != tt.want {
			t.Errorf("%s: pgVector(%q) = %q, want %q", tt.name, tt.fields, got, tt.want)
		}
	}
	phrases := map[string]string{
		"Vienna":     `'vienna'`,
		"met in":     `'met' <-> 'in'`,
		"dipl*":      `'dipl':*`,
		"南海":         `'南' <-> '海'`,
		"  ,;  ":     ``,
		"sao PAULO*": `'sao' <-> 'paulo':*`,
	}
	for term, want := range phrases {
		if got := pgPhrase(term); got != want {
			t.Errorf("pgPhrase(%q) = %q, want %q", term, got, want)
		}
	}
}
