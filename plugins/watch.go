package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// settle is how long a file must be quiet before it is reloaded, so the
// several writes of one save are read once, complete.
const settle = 30 * time.Millisecond

// watch starts reloading files of Options.Dir when they change.
func (h *Host) watch() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch plugins: %w", err)
	}
	if err := w.Add(h.opts.Dir); err != nil {
		w.Close()
		return fmt.Errorf("watch plugins folder %s: %w", h.opts.Dir, err)
	}
	h.watcher = w
	h.stop = make(chan struct{})
	h.wg.Add(1)
	go h.watchLoop(w)
	return nil
}

func (h *Host) watchLoop(w *fsnotify.Watcher) {
	defer h.wg.Done()
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-h.stop:
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			base := filepath.Base(ev.Name)
			if filepath.Ext(base) != ".lua" || strings.HasPrefix(base, ".") || ev.Op == fsnotify.Chmod {
				continue
			}
			pending[base] = true
			timer.Reset(settle)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			h.logger.Error("watch plugins", "dir", h.opts.Dir, "error", err.Error())
		case <-timer.C:
			for base := range pending {
				h.reload(base)
			}
			clear(pending)
		}
	}
}

// reload compiles the current text of a file of Dir and swaps it in. A
// file that fails keeps its old version; a deleted file falls back to the
// shipped one of the same name, if any.
func (h *Host) reload(base string) {
	name := strings.TrimSuffix(base, ".lua")
	src, err := h.readUserFile(base)
	if errors.Is(err, fs.ErrNotExist) {
		h.fallBack(name)
		return
	}
	if err != nil {
		h.logger.Error("plugin reload failed; keeping the old version", "file", filepath.Join(h.opts.Dir, base), "error", err.Error())
		return
	}
	if old := h.current(name); old != nil && old.user && old.hash == sourceHash(src.text) {
		return
	}
	v, err := h.compile(src)
	if err != nil {
		h.logger.Error("plugin reload failed; keeping the old version", "file", src.file, "error", err.Error())
		return
	}
	h.swap(name, v)
	h.logger.Info("plugin reloaded", "file", src.file, "hash", v.hash[:12])
}

func (h *Host) fallBack(name string) {
	var v *version
	if h.opts.Shipped != nil {
		text, err := fs.ReadFile(h.opts.Shipped, name+".lua")
		if err == nil {
			v, err = h.compile(source{name: name, file: name + ".lua", text: text})
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			h.logger.Error("plugin fallback to shipped version failed", "file", name+".lua", "error", err.Error())
			return
		}
	}
	if old := h.current(name); old == nil || !old.user {
		return
	}
	h.swap(name, v)
	if v != nil {
		h.logger.Info("plugin file removed; using the shipped version", "file", filepath.Join(h.opts.Dir, name+".lua"))
	} else {
		h.logger.Info("plugin file removed", "file", filepath.Join(h.opts.Dir, name+".lua"))
	}
}

// swap replaces (or with nil removes) a file's version atomically. Calls
// in flight keep the old version's state until they finish.
func (h *Host) swap(name string, v *version) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		if v != nil {
			v.retire()
		}
		return
	}
	old := *h.files.Load()
	next := make(map[string]*version, len(old)+1)
	for k, f := range old {
		next[k] = f
	}
	if v == nil {
		delete(next, name)
	} else {
		next[name] = v
	}
	h.files.Store(&next)
	if prev := old[name]; prev != nil {
		prev.retire()
	}
}
