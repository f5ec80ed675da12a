package feedout

import (
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/htmlsafe"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// forReaders returns copies of stories fit to be shown to anyone: every
// title, outlet name, author and category cleaned of the characters that
// spoof what a reader sees (htmlsafe.Label), feed URLs without their
// credentials or secret parameters, article links without userinfo or
// any known secret (redact). Every format, the status page and the static
// files go through it, so stories stored before these rules, or by an
// older version, are shown safely too. The stories passed in are not
// changed.
func forReaders(r *redact.Redactor, stories []wirefeed.Story) []wirefeed.Story {
	out := make([]wirefeed.Story, len(stories))
	for i, st := range stories {
		st.Representative = memberForReaders(r, st.Representative)
		members := make([]wirefeed.Member, len(st.Members))
		for j, m := range st.Members {
			members[j] = memberForReaders(r, m)
		}
		st.Members = members
		out[i] = st
	}
	return out
}

func memberForReaders(r *redact.Redactor, m wirefeed.Member) wirefeed.Member {
	m.Title = htmlsafe.Label(m.Title)
	m.FeedName = htmlsafe.Label(m.FeedName)
	m.FeedURL = r.URL(m.FeedURL)
	m.URL = r.Link(m.URL)
	m.GUID = r.Link(m.GUID)
	m.Authors = labels(m.Authors)
	m.Category = labels(m.Category)
	return m
}

func labels(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = htmlsafe.Label(s)
	}
	return out
}
