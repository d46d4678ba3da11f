package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/extract"
)

const extractUsage = `extract [--image FILE]... [--text TEXT]... --fields SPEC [--instructions TEXT] [--config FILE]

Runs one extraction, the way an extract step would, and prints the result as
JSON: for trying instructions and fields before putting them in a flow. Uses
OpenAI when OPENAI_API_KEY is set (OPENAI_BASE_URL and OPENAI_MODEL are
honoured), the offline extractor otherwise.

SPEC is NAME:TYPE,... with TYPE string, number, integer, boolean, date or
enum(a|b|c); add [] for a list and ? for an optional field, e.g.
  --fields 'area_m2:number,material:enum(tiles|metal),notes:string?,tags:string[]'`

// runExtract is `allmyleads extract`.
func runExtract(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "extract", extractUsage)
	var images, texts listFlag
	fs.Var(&images, "image", "image `FILE` to read (JPEG, PNG, GIF or WebP); repeatable")
	fs.Var(&texts, "text", "`TEXT` to read, - for standard input; repeatable")
	spec := fs.String("fields", "", "the fields to extract (see above)")
	instructions := fs.String("instructions", "", "what to look for, in plain words for the model")
	configPath := fs.String("config", "", "configuration file (default ./allmyleads.yaml when present)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return failf(env.stderr, exitUsage, "extract: unexpected argument %q (quote the text: --text '...')", fs.Arg(0))
	}
	if strings.TrimSpace(*spec) == "" {
		return failf(env.stderr, exitUsage, "extract: --fields is required, e.g. --fields 'area_m2:number,material:enum(tiles|metal)'")
	}
	fields, err := extract.ParseFields(*spec)
	if err != nil {
		return failf(env.stderr, exitUsage, "extract: --fields: %v", err)
	}
	if len(images) == 0 && len(texts) == 0 {
		return failf(env.stderr, exitUsage, "extract: nothing to read: give --text and/or --image")
	}
	cfg, err := LoadConfig(*configPath, env.getenv)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	req := core.ExtractRequest{Instructions: *instructions, Fields: fields}
	for _, t := range texts {
		if t == "-" {
			raw, err := io.ReadAll(env.stdin)
			if err != nil {
				return failf(env.stderr, exitRuntime, "extract: read standard input: %v", err)
			}
			t = string(raw)
		}
		req.Texts = append(req.Texts, t)
	}
	for _, path := range images {
		m, err := readImage(path, cfg.OpenAI.MaxImageBytes)
		if err != nil {
			return failf(env.stderr, exitInput, "extract: %v", err)
		}
		req.Images = append(req.Images, m)
	}

	logger := newLogger(env)
	x := extract.New(extract.Options{Logger: logger, OpenAI: extract.OpenAIOptions{
		APIKey: cfg.OpenAI.APIKey, BaseURL: cfg.OpenAI.BaseURL, Model: cfg.OpenAI.Model,
		Timeout: cfg.OpenAI.Timeout.D(), MaxImageBytes: cfg.OpenAI.MaxImageBytes, Logger: logger,
	}})
	if cfg.OpenAI.APIKey == "" {
		fmt.Fprintln(env.stderr, "allmyleads extract: note: OPENAI_API_KEY is not set: using the offline extractor (pattern rules on text and captions, confidences of 0.5 at most).")
		if len(req.Images) > 0 {
			fmt.Fprintln(env.stderr, "allmyleads extract: note: the offline extractor does not look at images.")
		}
	}
	res, err := x.Extract(ctx, req)
	if err != nil {
		return failf(env.stderr, exitRuntime, "extract: %v", err)
	}
	out, err := json.MarshalIndent(extractOutput{
		Extractor:     res.Extractor,
		Model:         res.Model,
		PromptVersion: res.PromptVersion,
		Fields:        orderedFields{names: fieldNames(req), values: res.Fields},
		Tokens:        tokens(res),
	}, "", "  ")
	if err != nil {
		return failf(env.stderr, exitRuntime, "extract: write result: %v", err)
	}
	fmt.Fprintf(env.stdout, "%s\n", out)
	return exitOK
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// readImage loads an image file for the request, refusing what the
// extractor would have to leave out.
func readImage(path string, maxBytes int) (core.Media, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return core.Media{}, fmt.Errorf("image: %w", err)
	}
	if maxBytes > 0 && len(data) > maxBytes {
		return core.Media{}, fmt.Errorf("image %s: %d bytes, over the limit of %d (openai.max_image_bytes)", path, len(data), maxBytes)
	}
	mime := http.DetectContentType(data)
	switch mime {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return core.Media{}, fmt.Errorf("image %s: %s is not a JPEG, PNG, GIF or WebP image", path, mime)
	}
	return core.Media{ID: path, MIME: mime, Filename: path, Size: len(data), Data: data}, nil
}

type extractOutput struct {
	Extractor     string        `json:"extractor"`
	Model         string        `json:"model"`
	PromptVersion string        `json:"prompt_version"`
	Fields        orderedFields `json:"fields"`
	Tokens        *tokenCount   `json:"tokens,omitempty"`
}

type tokenCount struct {
	Prompt int `json:"prompt"`
	Output int `json:"output"`
}

func tokens(res *core.ExtractResult) *tokenCount {
	if res.PromptTokens == 0 && res.OutputTokens == 0 {
		return nil
	}
	return &tokenCount{Prompt: res.PromptTokens, Output: res.OutputTokens}
}

func fieldNames(req core.ExtractRequest) []string {
	names := make([]string, len(req.Fields))
	for i, f := range req.Fields {
		names[i] = f.Name
	}
	return names
}

// orderedFields writes every asked field in the order asked, with a null
// value for one not found.
type orderedFields struct {
	names  []string
	values map[string]core.FieldResult
}

// MarshalJSON implements json.Marshaler.
func (o orderedFields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range o.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		v, err := json.Marshal(o.values[name]) // zero FieldResult: {"value":null,"confidence":0}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
