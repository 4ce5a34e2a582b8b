package main

// A small, offline evaluator of one Terraform part (a root module folder):
// enough of Terraform's semantics to compute what the part passes to Helm
// charts and to modules at plan time, from the source itself, so the checks
// see exactly what `terraform apply` would send.
//
// What it evaluates: variables (defaults, overridden by the part's example
// tfvars), locals, outputs, the outputs of the parts read through
// terraform_remote_state (evaluated the same way in the sibling folder of
// that name), and any attribute of a resource, data or module block. What
// Terraform knows only after apply (resource attributes, module outputs,
// provider data) is unknown here; outputs that are unknown can be given
// plan-time placeholders (a JSON file: part -> output -> value), so that a
// values document that depends on them can still be rendered. Functions the
// evaluator does not implement return unknown values rather than failing.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Placeholders are plan-time stand-ins for outputs known only after apply:
// part name -> output name -> value.
type Placeholders map[string]map[string]cty.Value

// LoadPlaceholders reads a JSON object {part: {output: value}}.
func LoadPlaceholders(path string) (Placeholders, error) {
	result := Placeholders{}
	if path == "" {
		return result, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(src, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for part, outputs := range raw {
		result[part] = map[string]cty.Value{}
		for name, text := range outputs {
			ty, err := ctyjson.ImpliedType(text)
			if err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %v", path, part, name, err)
			}
			value, err := ctyjson.Unmarshal(text, ty)
			if err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %v", path, part, name, err)
			}
			result[part][name] = value
		}
	}
	return result, nil
}

// Part is one parsed and evaluated Terraform root module.
type Part struct {
	Dir     string
	Name    string
	Blocks  []*hclsyntax.Block
	Vars    map[string]cty.Value
	Locals  map[string]cty.Value
	Outputs map[string]cty.Value
	ctx     *hcl.EvalContext
}

// LoadPart parses every *.tf file of dir, reads its example tfvars
// (terraform.tfvars.example) and evaluates variables, locals and outputs.
func LoadPart(dir string, placeholders Placeholders) (*Part, error) {
	return loadPart(dir, placeholders, map[string]bool{})
}

func loadPart(dir string, placeholders Placeholders, loading map[string]bool) (*Part, error) {
	abs, _ := filepath.Abs(dir)
	if loading[abs] {
		return nil, fmt.Errorf("%s: terraform_remote_state cycle", dir)
	}
	loading[abs] = true
	defer delete(loading, abs)

	part := &Part{Dir: dir, Name: filepath.Base(abs), Vars: map[string]cty.Value{}, Locals: map[string]cty.Value{}, Outputs: map[string]cty.Value{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.tf files", dir)
	}
	sort.Strings(files)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		part.Blocks = append(part.Blocks, file.Body.(*hclsyntax.Body).Blocks...)
	}

	// Variables: defaults, then the example tfvars.
	for _, block := range part.Blocks {
		if block.Type != "variable" {
			continue
		}
		value := cty.NullVal(cty.DynamicPseudoType)
		if attr, ok := block.Body.Attributes["default"]; ok {
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, diags
			}
			value = v
		}
		part.Vars[block.Labels[0]] = value
	}
	if src, err := os.ReadFile(filepath.Join(dir, "terraform.tfvars.example")); err == nil {
		file, diags := hclsyntax.ParseConfig(src, "terraform.tfvars.example", hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		for name, attr := range file.Body.(*hclsyntax.Body).Attributes {
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, diags
			}
			part.Vars[name] = v
		}
	}

	// Remote state: the sibling part of the same name, evaluated the same way.
	remote := map[string]cty.Value{}
	for _, block := range part.Blocks {
		if block.Type != "data" || block.Labels[0] != "terraform_remote_state" {
			continue
		}
		name := block.Labels[1]
		other, err := loadPart(filepath.Join(dir, "..", name), placeholders, loading)
		if err != nil {
			return nil, fmt.Errorf("%s: terraform_remote_state %q: %v", dir, name, err)
		}
		outputs := map[string]cty.Value{}
		for output, value := range other.Outputs {
			if !value.IsWhollyKnown() {
				if stand, ok := placeholders[name][output]; ok {
					value = stand
				}
			}
			outputs[output] = value
		}
		for output := range placeholders[name] {
			if _, ok := other.Outputs[output]; !ok {
				return nil, fmt.Errorf("placeholder %s.%s names no output of %s", name, output, other.Dir)
			}
		}
		remote[name] = cty.ObjectVal(map[string]cty.Value{"outputs": objectOrEmpty(outputs)})
	}

	part.ctx = part.evalContext(remote)
	// Locals, in as many passes as their references need.
	pending := map[string]hcl.Expression{}
	for _, block := range part.Blocks {
		if block.Type == "locals" {
			for name, attr := range block.Body.Attributes {
				pending[name] = attr.Expr
			}
		}
	}
	for len(pending) > 0 {
		progress := false
		for name, expr := range pending {
			ready := true
			for _, traversal := range expr.Variables() {
				if traversal.RootName() == "local" && len(traversal) > 1 {
					if attr, ok := traversal[1].(hcl.TraverseAttr); ok {
						if _, waiting := pending[attr.Name]; waiting {
							ready = false
						}
					}
				}
			}
			if !ready {
				continue
			}
			value, _ := expr.Value(part.ctx)
			part.Locals[name] = value
			delete(pending, name)
			progress = true
			part.ctx.Variables["local"] = objectOrEmpty(part.Locals)
		}
		if !progress {
			return nil, fmt.Errorf("%s: locals refer to each other in a cycle", dir)
		}
	}
	part.ctx.Variables["local"] = objectOrEmpty(part.Locals)

	for _, block := range part.Blocks {
		if block.Type == "output" {
			if attr, ok := block.Body.Attributes["value"]; ok {
				value, _ := attr.Expr.Value(part.ctx)
				part.Outputs[block.Labels[0]] = value
			}
		}
	}
	return part, nil
}

func objectOrEmpty(values map[string]cty.Value) cty.Value {
	if len(values) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(values)
}

// evalContext: var, local, path, data (remote state known, the rest
// unknown), module and resource references (unknown), and the functions.
func (p *Part) evalContext(remote map[string]cty.Value) *hcl.EvalContext {
	abs, _ := filepath.Abs(p.Dir)
	vars := map[string]cty.Value{
		"var":   objectOrEmpty(p.Vars),
		"local": cty.EmptyObjectVal,
		"path": cty.ObjectVal(map[string]cty.Value{
			"module": cty.StringVal(p.Dir), "root": cty.StringVal(p.Dir), "cwd": cty.StringVal(abs),
		}),
		"terraform": cty.DynamicVal,
	}
	data := map[string]map[string]cty.Value{}
	modules := map[string]cty.Value{}
	resources := map[string]map[string]cty.Value{}
	for _, block := range p.Blocks {
		switch block.Type {
		case "data":
			if data[block.Labels[0]] == nil {
				data[block.Labels[0]] = map[string]cty.Value{}
			}
			value := cty.DynamicVal
			if block.Labels[0] == "terraform_remote_state" {
				value = remote[block.Labels[1]]
			}
			data[block.Labels[0]][block.Labels[1]] = value
		case "module":
			modules[block.Labels[0]] = cty.DynamicVal
		case "resource":
			if resources[block.Labels[0]] == nil {
				resources[block.Labels[0]] = map[string]cty.Value{}
			}
			resources[block.Labels[0]][block.Labels[1]] = cty.DynamicVal
		}
	}
	dataObj := map[string]cty.Value{}
	for kind, byName := range data {
		dataObj[kind] = cty.ObjectVal(byName)
	}
	vars["data"] = objectOrEmpty(dataObj)
	vars["module"] = objectOrEmpty(modules)
	for kind, byName := range resources {
		vars[kind] = cty.ObjectVal(byName)
	}
	return &hcl.EvalContext{Variables: vars, Functions: p.functions()}
}

// Eval evaluates expr in the part's context, with extra variables (each,
// count) when given.
func (p *Part) Eval(expr hcl.Expression, extra map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	ctx := p.ctx
	if len(extra) > 0 {
		ctx = p.ctx.NewChild()
		ctx.Variables = extra
	}
	return expr.Value(ctx)
}

// Instances evaluates a block's for_each (or none) into the each values of
// its instances; a block without for_each has one instance with no each.
func (p *Part) Instances(block *hclsyntax.Block) ([]map[string]cty.Value, error) {
	attr, ok := block.Body.Attributes["for_each"]
	if !ok {
		return []map[string]cty.Value{nil}, nil
	}
	value, diags := p.Eval(attr.Expr, nil)
	if diags.HasErrors() {
		return nil, diags
	}
	if !value.IsWhollyKnown() {
		return nil, fmt.Errorf("%s: for_each is not known at plan time", attr.Expr.Range())
	}
	var instances []map[string]cty.Value
	for it := value.ElementIterator(); it.Next(); {
		key, element := it.Element()
		if value.Type().IsSetType() {
			key = element
		}
		instances = append(instances, map[string]cty.Value{
			"each": cty.ObjectVal(map[string]cty.Value{"key": key, "value": element}),
		})
	}
	return instances, nil
}

func (p *Part) functions() map[string]function.Function {
	base := p.Dir
	unknown := function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true},
		Type:     function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.DynamicVal, nil
		},
	})
	resolve := func(path string) string {
		if filepath.IsAbs(path) {
			return path
		}
		// Paths in Terraform are relative to the working directory, which is
		// the part's folder; path.module is that folder as given.
		if strings.HasPrefix(path, base) {
			return path
		}
		return filepath.Join(base, path)
	}
	funcs := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"coalesce": stdlib.CoalesceFunc, "compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc,
		"contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
		"flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc, "format": stdlib.FormatFunc,
		"formatlist": stdlib.FormatListFunc, "indent": stdlib.IndentFunc, "join": stdlib.JoinFunc,
		"jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc,
		"length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc,
		"max": stdlib.MaxFunc, "merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "replace": stdlib.ReplaceFunc, "reverse": stdlib.ReverseListFunc,
		"setproduct": stdlib.SetProductFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"split": stdlib.SplitFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"upper": stdlib.UpperFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)), "tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number), "tobool": stdlib.MakeToFunc(cty.Bool),
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"yamlencode": ctyyaml.YAMLEncodeFunc, "yamldecode": ctyyaml.YAMLDecodeFunc,
		"alltrue": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				result := cty.True
				for it := args[0].ElementIterator(); it.Next(); {
					_, v := it.Element()
					result = result.And(v)
				}
				return result, nil
			},
		}),
		"startswith": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "s", Type: cty.String}, {Name: "prefix", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(strings.HasPrefix(args[0].AsString(), args[1].AsString())), nil
			},
		}),
		"base64decode": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "s", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				decoded, err := base64.StdEncoding.DecodeString(args[0].AsString())
				return cty.StringVal(string(decoded)), err
			},
		}),
		"file": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				src, err := os.ReadFile(resolve(args[0].AsString()))
				return cty.StringVal(string(src)), err
			},
		}),
		"abspath": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				abs, err := filepath.Abs(resolve(args[0].AsString()))
				return cty.StringVal(abs), err
			},
		}),
		"basename": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.StringVal(filepath.Base(args[0].AsString())), nil
			},
		}),
		"fileset": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Set(cty.String)),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				root := resolve(args[0].AsString())
				matches, err := filepath.Glob(filepath.Join(root, args[1].AsString()))
				if err != nil {
					return cty.NilVal, err
				}
				if len(matches) == 0 {
					return cty.SetValEmpty(cty.String), nil
				}
				var names []cty.Value
				for _, m := range matches {
					rel, _ := filepath.Rel(root, m)
					names = append(names, cty.StringVal(filepath.ToSlash(rel)))
				}
				return cty.SetVal(names), nil
			},
		}),
	}
	// Anything else (cidr*, templatefile, timeadd, ...): unknown, so that an
	// expression using it evaluates without pretending to know the result.
	for _, name := range []string{"cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "templatefile", "timeadd", "timestamp", "sha256", "filesha256", "base64encode", "one", "sum", "anytrue", "endswith", "strcontains", "uuid"} {
		funcs[name] = unknown
	}
	return funcs
}
