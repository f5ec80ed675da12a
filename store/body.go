package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Item bodies. An item's summary, plain text and sanitised HTML are kept
// together in items.body: one format byte, then a raw DEFLATE stream (RFC
// 1951, which any zlib or Go's compress/flate reads) of the HTML, the text
// and the summary, each preceded by its length as a uvarint, and, since
// migration 0015, optionally a fourth field the same way: the body as the
// deduplicator compared it (Decision.Compared), which repeats the text's
// sentences and so adds little to the stream. The text
// repeats the words of the HTML and a summary usually its opening, so the
// three cost little more than the HTML alone: on the benchmark corpus 8.6
// KB of them take 2.4 KB. Items stored before migration 0010 keep the three
// in their own columns and have no body; items stored since keep '' there.
//
// DEFLATE at its fastest level is what the store can afford per item: the
// klauspost/compress encoder writes the same format as the standard
// library's at 2.4 times its speed (36 against 88 µs for 4.3 KB of HTML on
// the benchmark machine, where gofeed takes about 150 µs to parse an item).

// bodyDeflate is the format byte of a DEFLATE-compressed body.
const bodyDeflate = 1

// maxBodyField bounds one decoded field, far above what the fetcher keeps
// (512 KB of HTML per item), so a damaged row cannot claim gigabytes.
const maxBodyField = 16 << 20

var errBody = errors.New("store: damaged item body")

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid: no error
		return w
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// encodeBody returns the stored form of an item's body, or nil when all
// three fields are empty (a title-only item).
func encodeBody(summary, text, html string) []byte {
	return encodeBodyCompared(summary, text, html, "")
}

// encodeBodyCompared is encodeBody with the deduplicator's compared form,
// kept when not "".
func encodeBodyCompared(summary, text, html, compared string) []byte {
	if summary == "" && text == "" && html == "" && compared == "" {
		return nil
	}
	fields := []string{html, text, summary}
	if compared != "" {
		fields = append(fields, compared)
	}
	var raw bytes.Buffer
	raw.Grow(len(html) + len(text) + len(summary) + len(compared) + 4*binary.MaxVarintLen64)
	for _, f := range fields {
		raw.Write(binary.AppendUvarint(nil, uint64(len(f))))
		raw.WriteString(f)
	}
	var out bytes.Buffer
	out.Grow(raw.Len()/2 + 16)
	out.WriteByte(bodyDeflate)
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&out)
	_, _ = w.Write(raw.Bytes()) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	deflaters.Put(w)
	return out.Bytes()
}

// decodeBody returns the summary, text and HTML of a stored body.
func decodeBody(b []byte) (summary, text, html string, err error) {
	f, err := decodeBodyFields(b)
	return f[2], f[1], f[0], err
}

// decodeBodyFields returns the fields of a stored body: HTML, text,
// summary and compared form ("" when the body has none).
func decodeBodyFields(b []byte) (fields [4]string, err error) {
	if len(b) == 0 {
		return fields, nil
	}
	if b[0] != bodyDeflate {
		return fields, fmt.Errorf("%w: format %d", errBody, b[0])
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(b[1:]), nil); err != nil {
		return fields, fmt.Errorf("%w: %v", errBody, err)
	}
	var raw bytes.Buffer
	raw.Grow(4 * len(b))
	if _, err := raw.ReadFrom(io.LimitReader(r, 4*maxBodyField+4*binary.MaxVarintLen64)); err != nil {
		return fields, fmt.Errorf("%w: %v", errBody, err)
	}
	rest := raw.Bytes()
	for i := range fields {
		if i == 3 && len(rest) == 0 {
			break // no compared form
		}
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > maxBodyField || n > uint64(len(rest)-k) {
			return [4]string{}, errBody
		}
		fields[i] = string(rest[k : k+int(n)])
		rest = rest[k+int(n):]
	}
	return fields, nil
}

// itemBody is how a row holds an item's texts: a body (since 0010) or the
// three columns (before).
type itemBody struct {
	body                []byte
	summary, text, html string
}

// read returns the summary, text and HTML the row holds.
func (b *itemBody) read() (summary, text, html string, err error) {
	if b.body == nil {
		return b.summary, b.text, b.html, nil
	}
	return decodeBody(b.body)
}

// readAll returns the summary, text, HTML and the deduplicator's compared
// form the row holds.
func (b *itemBody) readAll() (summary, text, html, compared string, err error) {
	if b.body == nil {
		return b.summary, b.text, b.html, "", nil
	}
	f, err := decodeBodyFields(b.body)
	return f[2], f[1], f[0], f[3], err
}

// readCompared returns the summary, text and the deduplicator's compared
// form the row holds.
func (b *itemBody) readCompared() (summary, text, compared string, err error) {
	if b.body == nil {
		return b.summary, b.text, "", nil
	}
	f, err := decodeBodyFields(b.body)
	return f[2], f[1], f[3], err
}
