package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Kind says which check a problem comes from, so callers can tell a
// formatting nit (fixable with -write) from a real error.
type Kind string

const (
	KindParse  Kind = "parse"
	KindFormat Kind = "format"
	KindPolicy Kind = "policy"
)

// Problem is one finding, located at a file and line.
type Problem struct {
	Path    string
	Line    int
	Kind    Kind
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.Path, p.Line, p.Kind, p.Message)
}

// Options selects the checks beyond parsing and formatting.
type Options struct {
	Policy bool
}

// Result holds the problems of one file and, when the file is not formatted,
// its formatted text.
type Result struct {
	Problems  []Problem
	Formatted []byte
}

// allowMarker on a line's comment waives the literal checks for that line;
// the comment must say why (the marker followed by a reason).
const allowMarker = "hclcheck:allow"

var (
	// Twelve digits standing alone: the shape of an AWS account ID.
	accountIDPattern = regexp.MustCompile(`(^|[^0-9A-Za-z])[0-9]{12}([^0-9A-Za-z]|$)`)
	// A commercial, GovCloud, ISO or China region name such as eu-central-1.
	regionPattern = regexp.MustCompile(`(^|[^a-z0-9-])(us|eu|ap|sa|ca|me|af|il|mx|cn)-(gov-|iso-|isob-)?(north|south|east|west|central|northeast|southeast|northwest|southwest)-[0-9]([^0-9]|$)`)
	// Names of variables that carry credentials.
	secretNamePattern = regexp.MustCompile(`(?i)(password|passwd|secret|token|private_key|access_key|api_key)`)
)

// CheckFile parses src, compares it with its canonical formatting and, with
// opts.Policy, applies the repository policies.
func CheckFile(path string, src []byte, opts Options) Result {
	var result Result

	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	for _, diag := range diags {
		if diag.Severity != hcl.DiagError {
			continue
		}
		line := 0
		if diag.Subject != nil {
			line = diag.Subject.Start.Line
		}
		result.Problems = append(result.Problems, Problem{
			Path: path, Line: line, Kind: KindParse,
			Message: strings.TrimSpace(diag.Summary + "; " + diag.Detail),
		})
	}
	if diags.HasErrors() {
		// A file that does not parse cannot be formatted or inspected further.
		return result
	}

	formatted := hclwrite.Format(src)
	if !bytes.Equal(formatted, src) {
		result.Formatted = formatted
		result.Problems = append(result.Problems, Problem{
			Path: path, Line: firstDifferentLine(src, formatted), Kind: KindFormat,
			Message: "not in canonical HCL format; run tools/hclcheck with -write (the formatter terraform fmt uses)",
		})
	}

	if opts.Policy {
		result.Problems = append(result.Problems, literalPolicy(path, src)...)
		if strings.HasSuffix(path, ".tf") {
			if body, ok := file.Body.(*hclsyntax.Body); ok {
				result.Problems = append(result.Problems, blockPolicy(path, body)...)
			}
		}
	}
	return result
}

func firstDifferentLine(a, b []byte) int {
	linesA := bytes.Split(a, []byte("\n"))
	linesB := bytes.Split(b, []byte("\n"))
	for i := 0; i < len(linesA) && i < len(linesB); i++ {
		if !bytes.Equal(linesA[i], linesB[i]) {
			return i + 1
		}
	}
	if len(linesA) < len(linesB) {
		return len(linesA)
	}
	return len(linesB)
}

// literalPolicy flags account IDs in any HCL file and region names in
// Terraform code: both must come from variables or data sources so that the
// same code deploys to any account and region. Example tfvars files may name
// a region (that is their purpose) but never an account.
func literalPolicy(path string, src []byte) []Problem {
	tokens, _ := hclsyntax.LexConfig(src, path, hcl.InitialPos)
	allowed := map[int]bool{}
	for _, tok := range tokens {
		if tok.Type == hclsyntax.TokenComment && strings.Contains(string(tok.Bytes), allowMarker) {
			reason := strings.TrimSpace(strings.SplitN(string(tok.Bytes), allowMarker, 2)[1])
			if reason != "" {
				allowed[tok.Range.Start.Line] = true
			}
		}
	}
	checkRegions := strings.HasSuffix(path, ".tf")
	var problems []Problem
	for _, tok := range tokens {
		if tok.Type != hclsyntax.TokenQuotedLit && tok.Type != hclsyntax.TokenStringLit {
			continue
		}
		line := tok.Range.Start.Line
		if allowed[line] {
			continue
		}
		text := string(tok.Bytes)
		if accountIDPattern.MatchString(text) {
			problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
				Message: "hard-coded AWS account ID; use data.aws_caller_identity or a variable"})
		}
		if checkRegions && regionPattern.MatchString(text) {
			problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
				Message: "hard-coded AWS region; use var.region or data.aws_region"})
		}
	}
	return problems
}

// blockPolicy requires every variable to say what it is for and what type it
// takes, every output to say what it holds, and credentials to be sensitive
// variables without defaults.
func blockPolicy(path string, body *hclsyntax.Body) []Problem {
	var problems []Problem
	for _, block := range body.Blocks {
		line := block.DefRange().Start.Line
		switch block.Type {
		case "variable":
			name := label(block)
			attrs := block.Body.Attributes
			if _, ok := attrs["description"]; !ok {
				problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
					Message: fmt.Sprintf("variable %q has no description", name)})
			}
			if _, ok := attrs["type"]; !ok {
				problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
					Message: fmt.Sprintf("variable %q has no type", name)})
			}
			if secretNamePattern.MatchString(name) {
				if !isTrue(attrs["sensitive"]) {
					problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
						Message: fmt.Sprintf("variable %q looks like a credential; mark it sensitive = true", name)})
				}
				if def, ok := attrs["default"]; ok && !isNull(def) {
					problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
						Message: fmt.Sprintf("variable %q looks like a credential; it must have no default", name)})
				}
			}
		case "output":
			if _, ok := block.Body.Attributes["description"]; !ok {
				problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy,
					Message: fmt.Sprintf("output %q has no description", label(block))})
			}
		}
	}
	return problems
}

func label(block *hclsyntax.Block) string {
	if len(block.Labels) == 0 {
		return ""
	}
	return block.Labels[0]
}

func isTrue(attr *hclsyntax.Attribute) bool {
	if attr == nil {
		return false
	}
	value, diags := attr.Expr.Value(nil)
	return !diags.HasErrors() && value.IsKnown() && !value.IsNull() && value.Type() == cty.Bool && value.True()
}

func isNull(attr *hclsyntax.Attribute) bool {
	value, diags := attr.Expr.Value(nil)
	return !diags.HasErrors() && value.IsNull()
}
