// Package console is the terminal chat: it reads a customer's lines from a
// reader, hands them to the engine as inbound messages, and prints the
// bot's outbound messages as the engine queued them in the outbox. It is
// the same trip as WhatsApp with stdin and stdout in place of HTTP.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// sampleRoof is a small picture of a roof that `/photo` sends when no
// file is given, so a newcomer can finish the quote conversation.
//
//go:embed sample-roof.png
var sampleRoof []byte

// help lists the chat's own commands.
const help = `  /photo PATH [caption]  send an image file (JPEG, PNG)
  /photo sample [caption]  send a bundled sample photo of a roof (or just /photo)
  /wait DURATION         let time pass (30m, 3h, 2d): reminders that fall due are sent
  /help                  this list
  /quit                  leave (run chat again to continue where you stopped)
  Anything else is a message to the bot. Keywords work at any time:
  STOP, START, RESTART, AGENT, MY DATA, DELETE MY DATA, WITHDRAW CONSENT.
`

// Channel is the name of this channel in messages and the outbox.
const Channel = "console"

// Terminal is the console channel as the engine and the channel kit see it.
// A terminal has no buttons: options of buttons and lists alike print as
// numbered lines, text of any length prints whole, and images and documents
// print as a line naming the file.
type Terminal struct{ Out io.Writer }

var _ core.Channel = Terminal{}

// Name is "console".
func (Terminal) Name() string { return Channel }

// Capabilities says what the terminal shows.
func (Terminal) Capabilities() core.Capabilities {
	return core.Capabilities{MaxButtons: 10, MaxListRows: 10, Media: []string{"image", "document"}}
}

// Send prints one message.
func (t Terminal) Send(_ context.Context, m core.Outbound) (string, error) {
	print(t.Out, m)
	return "console:" + m.ID, nil
}

// Handler is what the console needs of the engine: handle one message and
// return once its turn is committed (*engine.Router).
type Handler interface {
	Handle(ctx context.Context, in core.Inbound) error
}

// Reminder repeats the question a conversation waits at (*engine.Engine).
type Reminder interface {
	Remind(ctx context.Context, contact string) error
}

// Options configure a chat.
type Options struct {
	In      io.Reader
	Out     io.Writer
	Contact string // the customer's URN (a phone number means the WhatsApp contact)
	Name    string // the customer's profile name
	Handler Handler
	Outbox  core.Outbox
	// Reminder, when set, repeats the waiting question when the chat
	// starts again on a conversation in progress.
	Reminder Reminder
	// Echo prints the customer's lines, for piped input, so the output
	// reads as a transcript.
	Echo bool
	// Prompt prints "you> " before reading, for a terminal.
	Prompt bool
	Clock  func() time.Time
	// MaxImageBytes bounds /photo files (default 5 MiB, WhatsApp's limit).
	MaxImageBytes int64
	// Due, when set, fires what fell due (reminders) at the start and
	// before each line, so its messages print in their place.
	Due func(ctx context.Context) error
	// Wait, when set, makes /wait DURATION move the chat's clock on,
	// firing what falls due on the way.
	Wait func(ctx context.Context, d time.Duration) error
	// Record, when set, is told the conversation as it goes
	// (`allmyleads chat --record`).
	Record Recorder
}

// Recorder is told a chat's conversation, to write it down as a test.
type Recorder interface {
	At(now time.Time)           // the clock before the customer's next message
	Customer(text string)       // a text the customer sent
	Photo(name, caption string) // a photo: its file, or "sample"
	Waited(d time.Duration)     // /wait
	Bot(m core.Outbound)        // a bot message, as printed
}

// Run chats until the input ends, /quit, or ctx is cancelled. Outbound
// messages left from an earlier run are printed first.
func Run(ctx context.Context, o Options) error {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 5 << 20
	}
	contact, err := core.NormalizeURN(o.Contact)
	if err != nil {
		return err
	}
	o.Contact = contact
	if err := due(ctx, o); err != nil {
		return err
	}
	if o.Reminder != nil {
		if err := o.Reminder.Remind(ctx, o.Contact); err != nil {
			return fmt.Errorf("resume conversation: %w", err)
		}
	}
	if err := flush(ctx, o); err != nil {
		return err
	}
	sc := bufio.NewScanner(o.In)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for {
		if o.Prompt {
			fmt.Fprint(o.Out, "you> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line == "/quit" || line == "/exit" {
			return nil
		}
		if line == "/help" || line == "/?" {
			fmt.Fprint(o.Out, help)
			continue
		}
		if o.Echo {
			fmt.Fprintf(o.Out, "you> %s\n", line)
		}
		if arg, ok := strings.CutPrefix(line, "/wait"); ok && (arg == "" || arg[0] == ' ') {
			if err := wait(ctx, o, strings.TrimSpace(arg)); err != nil {
				return err
			}
			continue
		}
		if err := due(ctx, o); err != nil {
			return err
		}
		n++
		in, err := inbound(o, line, n)
		if err != nil {
			fmt.Fprintf(o.Out, "  (%v)\n", err)
			continue
		}
		record(o, in, line)
		if err := o.Handler.Handle(ctx, in); err != nil {
			return fmt.Errorf("handle message: %w", err)
		}
		if err := flush(ctx, o); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return ctx.Err()
}

// due fires what fell due and prints it.
func due(ctx context.Context, o Options) error {
	if o.Due == nil {
		return nil
	}
	if err := o.Due(ctx); err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	return flush(ctx, o)
}

// wait is /wait DURATION: the chat's clock moves on and what falls due on
// the way is sent.
func wait(ctx context.Context, o Options, arg string) error {
	if o.Wait == nil {
		fmt.Fprintln(o.Out, "  (/wait is not available here)")
		return nil
	}
	d, err := parseWait(arg)
	if err != nil {
		fmt.Fprintf(o.Out, "  (%v)\n", err)
		return nil
	}
	if o.Record != nil {
		o.Record.Waited(d)
	}
	if err := o.Wait(ctx, d); err != nil {
		return fmt.Errorf("wait: %w", err)
	}
	fmt.Fprintf(o.Out, "  (%s later)\n", arg)
	return flush(ctx, o)
}

// parseWait reads /wait's duration: Go's (30m, 3h) or days (2d, 1d12h).
func parseWait(s string) (time.Duration, error) {
	var days time.Duration
	rest := s
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("/wait %s: want e.g. 30m, 3h or 2d", s)
		}
		days, rest = time.Duration(n*float64(24*time.Hour)), s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("/wait %s: want e.g. 30m, 3h or 2d", s)
		}
	}
	if days+d <= 0 {
		return 0, fmt.Errorf("/wait %s: want e.g. 30m, 3h or 2d", s)
	}
	return days + d, nil
}

// record tells the recorder what the customer sent.
func record(o Options, in core.Inbound, line string) {
	if o.Record == nil {
		return
	}
	o.Record.At(in.Time)
	if in.Kind == core.InImage {
		name := "sample"
		if rest, _ := strings.CutPrefix(line, "/photo"); strings.TrimSpace(rest) != "" {
			if p, _, _ := strings.Cut(strings.TrimSpace(rest), " "); p != "sample" {
				name = p
			}
		}
		o.Record.Photo(name, in.Text)
		return
	}
	o.Record.Customer(in.Text)
}

// inbound turns one typed line into an engine message; /photo PATH [caption]
// sends an image file.
func inbound(o Options, line string, n int) (core.Inbound, error) {
	now := o.Clock()
	in := core.Inbound{
		Channel: Channel, Contact: o.Contact, ProfileName: o.Name, Time: now,
		ID:   messageID(now, n),
		Kind: core.InText, Text: line,
	}
	rest, ok := strings.CutPrefix(line, "/photo")
	if !ok {
		return in, nil
	}
	path, caption, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if path == "" || path == "sample" {
		// No photo at hand (a fresh checkout): send the bundled sample.
		in.Kind, in.Text = core.InImage, strings.TrimSpace(caption)
		in.Media = []core.Media{{MIME: "image/png", Caption: in.Text, Filename: "sample-roof.png", Data: sampleRoof, Size: len(sampleRoof)}}
		return in, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return in, fmt.Errorf("photo: %w", err)
	}
	if info.Size() > o.MaxImageBytes {
		return in, fmt.Errorf("photo %s: %d bytes is over the %d byte limit", path, info.Size(), o.MaxImageBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return in, fmt.Errorf("photo: %w", err)
	}
	// What the bytes are, not what the name says: WhatsApp only delivers images here.
	mt := http.DetectContentType(data)
	if !strings.HasPrefix(mt, "image/") {
		return in, fmt.Errorf("photo %s: not an image (it looks like %s); send a JPEG or PNG", path, mt)
	}
	in.Kind, in.Text = core.InImage, strings.TrimSpace(caption)
	in.Media = []core.Media{{MIME: mt, Caption: in.Text, Filename: filepath.Base(path), Data: data, Size: len(data)}}
	return in, nil
}

// messageID makes an id unique across runs on the same database, even
// with a fixed clock: time, sequence and random bits.
func messageID(now time.Time, n int) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "console-" + strconv.FormatInt(now.UnixNano(), 36) + "-" + strconv.Itoa(n) + "-" + hex.EncodeToString(b[:])
}

// flush prints and marks sent every queued outbound message of the chat.
func flush(ctx context.Context, o Options) error {
	for {
		items, err := o.Outbox.PendingOutbound(ctx, Channel, 64)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		for _, it := range items {
			if it.Contact != o.Contact {
				fmt.Fprintf(o.Out, "(to %s)\n", it.Contact)
			}
			id, err := Terminal{o.Out}.Send(ctx, it.Outbound)
			if err != nil {
				return err
			}
			if o.Record != nil && it.Contact == o.Contact {
				o.Record.Bot(it.Outbound)
			}
			if err := o.Outbox.MarkSent(ctx, it.ID, id, o.Clock()); err != nil {
				return fmt.Errorf("mark sent: %w", err)
			}
		}
	}
}

// print writes one bot message: text, then numbered options.
func print(w io.Writer, m core.Outbound) {
	switch m.Kind {
	case core.OutDocument, core.OutImage:
		name := "file"
		if m.Media != nil {
			name = m.Media.Filename
			if m.Media.Caption != "" {
				fmt.Fprintf(w, "bot> %s\n", indent(m.Media.Caption))
			}
			fmt.Fprintf(w, "bot> [%s: %s, %d bytes]\n", m.Kind, name, m.Media.Size)
			return
		}
		fmt.Fprintf(w, "bot> [%s]\n", m.Kind)
	case core.OutTemplate:
		fmt.Fprintf(w, "bot> [template %s]\n", m.Template.Name)
	default:
		fmt.Fprintf(w, "bot> %s\n", indent(m.Text))
	}
	for i, opt := range m.Options {
		fmt.Fprintf(w, "       %d) %s\n", i+1, opt.Title)
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n     ") }
