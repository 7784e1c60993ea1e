package scripts

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine/ndpi"
)

// GUI is what a script's `gui` table tells the configuration UI: which
// input builder edits its script_conf (ntopng's user_scripts_templates:
// threshold_cross, items_list, elephant_flows, long_lived, plus
// multi_select) and the builder's options. edit/user_script/config.lua
// validates a new script_conf against it (validateConf), as ntopng's
// templates' parseConfig do.
type GUI struct {
	InputBuilder     string   `json:"input_builder,omitempty"`
	FieldUnit        string   `json:"i18n_field_unit,omitempty"` // e.g. field_units.bytes
	FieldMin         *float64 `json:"field_min,omitempty"`
	FieldMax         *float64 `json:"field_max,omitempty"`
	FieldStep        *float64 `json:"field_step,omitempty"`
	FieldOperator    string   `json:"field_operator,omitempty"` // gt or lt: the operator is fixed
	ItemListType     string   `json:"item_list_type,omitempty"` // country, proto_or_category, string, device_type
	InputTitle       string   `json:"input_title,omitempty"`
	InputDescription string   `json:"input_description,omitempty"`
	// Options are multi_select's choices: gui.options (a list of strings),
	// else the device types when item_list_type is device_type.
	Options []string `json:"options,omitempty"`
}

// The input builders flowgate validates; any other (or none) keeps
// ntopng's default template: script_conf is stored as given.
const (
	BuilderThreshold = "threshold_cross"
	BuilderItems     = "items_list"
	BuilderElephant  = "elephant_flows"
	BuilderLongLived = "long_lived"
	BuilderMulti     = "multi_select"
)

// DeviceTypes are ntopng's device type names (item_list_type device_type).
var DeviceTypes = []string{"unknown", "printer", "video", "workstation", "laptop", "tablet", "phone", "tv",
	"networking", "wifi", "nas", "multimedia", "iot"}

// Bounds of a script_conf (it is written from REST and kept in memory).
const (
	maxConfItems   = 1024
	maxItemLen     = 256
	maxConfKeys    = 64
	maxConfTextLen = 1024
)

var errBadConf = errors.New("invalid script_conf")

// readGUI reads a script's gui table (nil: none).
func readGUI(t *lua.LTable) GUI {
	var g GUI
	gui, ok := t.RawGetString("gui").(*lua.LTable)
	if !ok {
		return g
	}
	str := func(k string) string {
		if s, ok := gui.RawGetString(k).(lua.LString); ok {
			return string(s)
		}
		return ""
	}
	num := func(k string) *float64 {
		if n, ok := gui.RawGetString(k).(lua.LNumber); ok {
			f := float64(n)
			return &f
		}
		return nil
	}
	g.InputBuilder, g.FieldUnit, g.FieldOperator = str("input_builder"), str("i18n_field_unit"), str("field_operator")
	g.ItemListType, g.InputTitle, g.InputDescription = str("item_list_type"), str("input_title"), str("input_description")
	g.FieldMin, g.FieldMax, g.FieldStep = num("field_min"), num("field_max"), num("field_step")
	if opts, ok := gui.RawGetString("options").(*lua.LTable); ok {
		opts.ForEach(func(_, v lua.LValue) {
			if s, ok := v.(lua.LString); ok && len(g.Options) < maxConfItems {
				g.Options = append(g.Options, string(s))
			}
		})
	}
	if g.InputBuilder == BuilderMulti && len(g.Options) == 0 && g.ItemListType == "device_type" {
		g.Options = slices.Clone(DeviceTypes)
	}
	return g
}

// validateConf checks a new script_conf against the script's input
// builder and returns it normalized (numbers as numbers, item lists as
// lists without duplicates, country codes upper case). Keys the builder
// does not know are kept (ntopng 5's severity, custom keys) within bounds.
func validateConf(g GUI, conf map[string]any) (map[string]any, error) {
	if len(conf) > maxConfKeys {
		return nil, fmt.Errorf("%w: more than %d keys", errBadConf, maxConfKeys)
	}
	out := make(map[string]any, len(conf))
	for k, v := range conf {
		if err := boundedValue(k, v, 0); err != nil {
			return nil, err
		}
		out[k] = v
	}
	number := func(key string, min, max *float64) error {
		f, err := confNumber(out[key])
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errBadConf, key, err)
		}
		if min != nil && f < *min {
			return fmt.Errorf("%w: %s %v is below %v", errBadConf, key, f, *min)
		}
		if max != nil && f > *max {
			return fmt.Errorf("%w: %s %v is above %v", errBadConf, key, f, *max)
		}
		out[key] = f
		return nil
	}
	zero := 0.0
	items := func(kind string) error {
		l, err := confItems(out["items"], kind)
		if err != nil {
			return fmt.Errorf("%w: items: %v", errBadConf, err)
		}
		out["items"] = l
		return nil
	}
	switch g.InputBuilder {
	case BuilderThreshold:
		op, _ := out["operator"].(string)
		if op != "gt" && op != "lt" {
			return nil, fmt.Errorf("%w: operator %q: want gt or lt", errBadConf, op)
		}
		if g.FieldOperator != "" && op != g.FieldOperator {
			return nil, fmt.Errorf("%w: operator is fixed to %s for this script", errBadConf, g.FieldOperator)
		}
		if err := number("threshold", g.FieldMin, g.FieldMax); err != nil {
			return nil, err
		}
	case BuilderItems:
		if err := items(g.ItemListType); err != nil {
			return nil, err
		}
	case BuilderMulti:
		if err := items("string"); err != nil {
			return nil, err
		}
		if len(g.Options) > 0 {
			for _, it := range out["items"].([]any) {
				if !slices.Contains(g.Options, it.(string)) {
					return nil, fmt.Errorf("%w: items: %q is not one of %s", errBadConf, it, strings.Join(g.Options, ", "))
				}
			}
		}
	case BuilderElephant:
		for _, k := range []string{"l2r_bytes_value", "r2l_bytes_value"} {
			if err := number(k, &zero, nil); err != nil {
				return nil, err
			}
		}
		if err := items("proto_or_category"); err != nil {
			return nil, err
		}
	case BuilderLongLived:
		if err := number("min_duration", &zero, nil); err != nil {
			return nil, err
		}
		if err := items("proto_or_category"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// boundedValue refuses a script_conf value too large or too deep to keep.
func boundedValue(key string, v any, depth int) error {
	if depth > 4 {
		return fmt.Errorf("%w: %s: nested too deep", errBadConf, key)
	}
	switch x := v.(type) {
	case string:
		if len(x) > maxConfTextLen {
			return fmt.Errorf("%w: %s: longer than %d bytes", errBadConf, key, maxConfTextLen)
		}
	case []any:
		if len(x) > maxConfItems {
			return fmt.Errorf("%w: %s: more than %d items", errBadConf, key, maxConfItems)
		}
		for _, e := range x {
			if err := boundedValue(key, e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		if len(x) > maxConfKeys {
			return fmt.Errorf("%w: %s: more than %d keys", errBadConf, key, maxConfKeys)
		}
		for k, e := range x {
			if err := boundedValue(key+"."+k, e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// confNumber reads a finite number, also from a numeric string (ntopng's
// tonumber).
func confNumber(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		f = n
	case nil:
		return 0, errors.New("missing")
	default:
		return 0, fmt.Errorf("want a number, not %T", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a finite number")
	}
	return f, nil
}

// confItems reads an item list (a JSON list of strings, or one
// comma-separated string) and checks each item as kind.
func confItems(v any, kind string) ([]any, error) {
	var raw []string
	switch x := v.(type) {
	case nil:
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				raw = append(raw, s)
			}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, not %T", e)
			}
			raw = append(raw, strings.TrimSpace(s))
		}
	case map[string]any:
		if len(x) != 0 { // an empty Lua table reads as an empty object
			return nil, errors.New("want a list")
		}
	default:
		return nil, fmt.Errorf("want a list, not %T", v)
	}
	if len(raw) > maxConfItems {
		return nil, fmt.Errorf("more than %d items", maxConfItems)
	}
	out := make([]any, 0, len(raw))
	seen := map[string]bool{}
	for _, s := range raw {
		s, err := checkItem(s, kind)
		if err != nil {
			return nil, err
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

func checkItem(s, kind string) (string, error) {
	if s == "" {
		return "", errors.New("empty item")
	}
	switch kind {
	case "country":
		if len(s) != 2 || !isASCIILetter(s[0]) || !isASCIILetter(s[1]) {
			return "", fmt.Errorf("%q: want a two-letter country code such as IT", s)
		}
		return strings.ToUpper(s), nil
	case "proto_or_category":
		if id, ok := ndpi.ID(s); ok {
			return ndpi.Name(id), nil
		}
		if c, ok := ndpi.CategoryID(s); ok {
			return c.String(), nil
		}
		return "", fmt.Errorf("%q: not an nDPI protocol or category name", s)
	case "device_type":
		if !slices.Contains(DeviceTypes, strings.ToLower(s)) {
			return "", fmt.Errorf("%q: want one of %s", s, strings.Join(DeviceTypes, ", "))
		}
		return strings.ToLower(s), nil
	}
	if len(s) > maxItemLen || !utf8.ValidString(s) {
		return "", fmt.Errorf("%q: want at most %d bytes of UTF-8", s, maxItemLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("%q: control character", s)
		}
	}
	return s, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
