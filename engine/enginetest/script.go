package enginetest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultContact is the contact a script speaks as until `as:` changes it.
const DefaultContact = "+15550100"

// Run plays a conversation script and returns its transcript. Each line of
// the script is one of:
//
//	you: TEXT            the customer sends TEXT
//	photo: FILE CAPTION  the customer sends an image (FILE relative to dir;
//	                     "-" makes a small synthetic image)
//	advance: DURATION    the clock moves on (Go durations, or 8d for days);
//	                     timers due on the way fire at their time, and what
//	                     they send follows, under the time they fired
//	release              a person hands the contact back (Engine.Release)
//	reopen               the process restarts: store closed and reopened
//	as: +PHONE           later lines speak as another contact
//	# ...                a comment, copied to the transcript
func Run(h *Harness, dir, script string) string {
	h.T.Helper()
	var b strings.Builder
	contact := DefaultContact
	sc := bufio.NewScanner(strings.NewReader(script))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		cmd, arg, _ := strings.Cut(line, ":")
		arg = strings.TrimSpace(arg)
		switch cmd {
		case "you":
			fmt.Fprintf(&b, "you: %s\n", arg)
			b.WriteString(Format(h.Say(contact, arg)))
		case "photo":
			file, caption, _ := strings.Cut(arg, " ")
			fmt.Fprintf(&b, "you: [photo %s] %s\n", file, caption)
			b.WriteString(Format(h.Send(h.Photo(contact, photoBytes(h, dir, file), caption))))
		case "advance":
			d, err := parseDuration(arg)
			if err != nil {
				h.T.Fatalf("script line %d: %v", n, err)
			}
			fmt.Fprintf(&b, "-- %s later --\n", arg)
			b.WriteString(h.advance(d))
		case "release":
			if err := h.Engine.Release(context.Background(), contact, "test"); err != nil {
				h.T.Fatalf("script line %d: release: %v", n, err)
			}
			b.WriteString("-- released --\n")
		case "reopen":
			h.Reopen()
			b.WriteString("-- restart --\n")
		case "as":
			contact = arg
			fmt.Fprintf(&b, "-- as %s --\n", arg)
		default:
			if strings.HasPrefix(line, "#") {
				fmt.Fprintf(&b, "%s\n", line)
				continue
			}
			h.T.Fatalf("script line %d: unknown line %q (want you:, photo:, advance:, release, reopen, as:)", n, line)
		}
	}
	return b.String()
}

// advance moves the clock, firing due timers one at a time at their time,
// and writes what each sent under the time it fired.
func (h *Harness) advance(d time.Duration) string {
	h.T.Helper()
	var b strings.Builder
	for _, f := range h.Advance(d) {
		fmt.Fprintf(&b, "-- %s --\n", f.At.Format("Mon 2 Jan 15:04 MST"))
		b.WriteString(Format(f.Out))
	}
	return b.String()
}

func photoBytes(h *Harness, dir, file string) []byte {
	if file == "-" {
		sum := sha256.Sum256([]byte(fmt.Sprint(h.seq.Load())))
		return append([]byte("\xff\xd8\xff\xe0synthetic-jpeg"), sum[:]...)
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		h.T.Fatalf("photo: %v", err)
	}
	return data
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil {
			return 0, fmt.Errorf("duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
