package flows

// Template is a text with {{ path }} and {{ path | filter "arg" }}
// placeholders, parsed once at load and rendered many times by the engine.
// A parsed Template is immutable and safe for concurrent use.
type Template struct {
	Source string
	Parts  []Part
	Pos    Pos // where the text stands in its file
}

// Part is a literal text (Path empty) or a placeholder.
type Part struct {
	Text    string   // literal text, when Path is empty
	Path    string   // dotted variable path of a placeholder
	Filters []Filter // applied left to right
}

// Filter is one `| name "arg"...` of a placeholder.
type Filter struct {
	Name string
	Args []string
}

// FilterFunc applies a filter to a value. The engine adds the filters that
// need its context (money); BaseFilters holds the rest.
type FilterFunc func(v any, args []string) (any, error)

// FilterNames lists every filter the language knows, for the linter and the
// schema: money, upper, lower, title, default.
var FilterNames = []string{"money", "upper", "lower", "title", "default"}
