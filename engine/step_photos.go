package engine

import (
	"strings"

	"github.com/allmyleads/allmyleads/flows"
)

// photos collects between min and max images. Each photo is acknowledged;
// the done word (or "finished", "that's all", "that's it", "ok"...) ends
// collection once min is met; text instead of photos gets a friendly
// reminder. "No photos", "I can't", "later" (and `retries` messages
// without a photo) go to `skip`, else a person is offered
// (never_stuck.go). The saved value is a list of photo references
// ({id, mime, sha256, caption, size}); the bytes stay in the store.
//
//   - id: photos
//     photos: "Send 1 to 5 photos of the area, then type *done*."
//     save: project.photos
//     min: 1
//     max: 5
//     skip: no_photos
func init() { registerStep(flows.KindPhotos, stepKind{enter: enterPhotos, answer: answerPhotos}) }

func enterPhotos(t *turn, s *flows.Step) outcome {
	t.sayText(s.Text, nil)
	return wait()
}

func photoLimits(s *flows.Step) (lo, hi int, done string) {
	lo, hi, done = s.Min, s.Max, s.DoneWord
	if hi <= 0 {
		hi = 10
	}
	if done == "" {
		done = "done"
	}
	return lo, hi, done
}

func answerPhotos(t *turn, s *flows.Step, in *Inbound) outcome {
	lo, hi, done := photoLimits(s)
	got, _ := t.sess.Scratch["photos"].([]any)
	limits := map[string]any{"min": lo, "max": hi, "done": t.doneWord(done)}

	images := 0
	for i := range in.Media {
		m := &in.Media[i]
		if !isImage(in, m) {
			continue
		}
		images++
		if len(m.Data) == 0 {
			t.say(t.e.cfg.Texts.PhotoFailed, nil)
			continue
		}
		if len(got) >= hi {
			break
		}
		m.ID, m.Size = mediaID(m.Data), len(m.Data)
		ref := map[string]any{"id": m.ID, "mime": m.MIME, "size": m.Size}
		if m.SHA256 != "" {
			ref["sha256"] = m.SHA256
		}
		if c := strings.TrimSpace(m.Caption); c != "" {
			ref["caption"] = c
		}
		got = append(got, ref)
	}
	if images > 0 {
		t.scratch("photos", got)
		if len(got) >= hi {
			return t.savePhotos(s, got)
		}
		if len(got) > 0 {
			t.say(t.e.cfg.Texts.PhotoReceived, merge(limits, map[string]any{"count": len(got)}))
		}
		return wait()
	}
	// "done", "finished", "that's all", "ok" (done_words.go), or the done
	// word in the customer's language.
	saidDone := isDoneWord(answerText(in), done) || isDoneWord(answerText(in), t.doneWord(done))
	if saidDone && len(got) >= lo {
		return t.savePhotos(s, got)
	}
	if o, ok := t.photosWayOut(s, in, got, lo, done); ok { // never_stuck.go: done, "no photos", skip
		return o
	}
	if saidDone {
		if len(got) >= lo {
			return t.savePhotos(s, got)
		}
		if s.Error != nil {
			t.sayText(s.Error, limits)
		} else {
			t.say(t.e.cfg.Texts.PhotosNeedMore, limits)
		}
		return wait()
	}
	t.say(t.e.cfg.Texts.PhotosReminder, limits)
	return wait()
}

func isImage(in *Inbound, m *Media) bool {
	return in.Kind == InImage || strings.HasPrefix(m.MIME, "image/")
}

func (t *turn) savePhotos(s *flows.Step, got []any) outcome {
	if got == nil {
		got = []any{}
	}
	if s.Save != "" {
		t.setVar(s.Save, got)
	}
	return next()
}

// scratch sets a value of the current step's own state.
func (t *turn) scratch(key string, v any) {
	if t.sess.Scratch == nil {
		t.sess.Scratch = map[string]any{}
	}
	t.sess.Scratch[key] = v
}

func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
