package feedout

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/wirefeed/wirefeed"
)

//go:embed templates/*.html
var templates embed.FS

var statusTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}).ParseFS(templates, "templates/status.html"))

type statusPage struct {
	Title   string
	Feeds   []wirefeed.FeedState
	Failing int
	Items   int
	Stories []wirefeed.Story
}

// status renders the operator's page: feeds with their health and the
// latest stories with their member outlets. It needs no JavaScript.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	states, err := h.src.FeedStates(r.Context())
	if err != nil {
		h.logger.Error("status page", slog.Any("err", err))
		http.Error(w, "internal error reading feed states", http.StatusInternalServerError)
		return
	}
	stories, err := h.src.Stories(r.Context(), wirefeed.StoryQuery{Limit: 30})
	if err != nil {
		h.logger.Error("status page", slog.Any("err", err))
		http.Error(w, "internal error reading stories", http.StatusInternalServerError)
		return
	}
	page := statusPage{Title: h.opts.Meta.Title, Stories: stories}
	// Configured feeds first, in config order; then any the database
	// still remembers.
	listed := map[string]bool{}
	for _, f := range h.opts.Feeds {
		st, ok := states[f.Name]
		if !ok {
			st = wirefeed.FeedState{Name: f.Name, URL: f.URL}
		}
		page.Feeds = append(page.Feeds, st)
		listed[f.Name] = true
	}
	var rest []wirefeed.FeedState
	for name, st := range states {
		if !listed[name] {
			rest = append(rest, st)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	page.Feeds = append(page.Feeds, rest...)
	for _, st := range page.Feeds {
		if st.ConsecutiveErrors > 0 {
			page.Failing++
		}
		page.Items += st.Items
	}
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, page); err != nil {
		h.logger.Error("status page", slog.Any("err", err))
		http.Error(w, "internal error rendering the status page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}
