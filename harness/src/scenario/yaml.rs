//! YAML text → a JSON document plus the place of every node ([`SourceMap`]).
//!
//! saphyr (YAML 1.2, maintained) gives a tree with marks; we keep the marks under JSON Pointers so that errors
//! found long after parsing still name the line and column they come from.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, ScanError, YamlData};
use serde_json::{Map, Number, Value};

use super::source::{Origin, SourceMap, Span, escape_token};

/// A YAML problem: where and what.
#[derive(Debug)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
}

/// Parses one YAML document.
pub fn parse(text: &str) -> Result<(Value, SourceMap), YamlError> {
    let docs = MarkedYaml::load_from_str(text).map_err(scan_error)?;
    let mut docs = docs.into_iter();
    let Some(doc) = docs.next() else {
        return Err(YamlError {
            span: Span::START,
            message: "the file holds no YAML document".into(),
        });
    };
    if let Some(second) = docs.next() {
        return Err(YamlError {
            span: span_of(&second),
            message: "this file holds one YAML document; remove the second one (after `---`)"
                .into(),
        });
    }
    let mut map = SourceMap::default();
    map.insert(
        String::new(),
        Origin {
            key: None,
            value: span_of(&doc),
        },
    );
    let value = convert(&doc, "", &mut map)?;
    Ok((value, map))
}

fn scan_error(e: ScanError) -> YamlError {
    let m = e.marker();
    YamlError {
        span: Span {
            line: m.line().max(1),
            column: m.col() + 1,
            width: 1,
        },
        message: format!("YAML syntax error: {}", e.info()),
    }
}

fn span_of(node: &MarkedYaml) -> Span {
    let (start, end) = (node.span.start, node.span.end);
    let width = if end.line() == start.line() && end.index() > start.index() {
        end.index() - start.index()
    } else {
        1
    };
    Span {
        line: start.line().max(1),
        column: start.col() + 1,
        width,
    }
}

fn convert(node: &MarkedYaml, pointer: &str, map: &mut SourceMap) -> Result<Value, YamlError> {
    let here = span_of(node);
    Ok(match &node.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let p = format!("{pointer}/{i}");
                map.insert(
                    p.clone(),
                    Origin {
                        key: None,
                        value: span_of(item),
                    },
                );
                out.push(convert(item, &p, map)?);
            }
            Value::Array(out)
        }
        YamlData::Mapping(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = key_text(k)?;
                let p = format!("{pointer}/{}", escape_token(&key));
                map.insert(
                    p.clone(),
                    Origin {
                        key: Some(span_of(k)),
                        value: span_of(v),
                    },
                );
                out.insert(key, convert(v, &p, map)?);
            }
            Value::Object(out)
        }
        YamlData::Tagged(tag, _) => {
            return Err(YamlError {
                span: here,
                message: format!(
                    "YAML tags are not supported here (found `!{}`); write the plain value",
                    tag.suffix
                ),
            });
        }
        YamlData::Alias(_) => {
            return Err(YamlError {
                span: here,
                message: "YAML aliases are not supported; write the value out in full".into(),
            });
        }
        YamlData::BadValue => {
            return Err(YamlError {
                span: here,
                message: "this YAML value cannot be read".into(),
            });
        }
    })
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => {
            Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

/// Mapping keys become JSON object keys: scalars only, written as the user wrote them.
fn key_text(k: &MarkedYaml) -> Result<String, YamlError> {
    match &k.data {
        YamlData::Value(Scalar::String(s)) => Ok(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Ok(i.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Ok(b.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Ok(f.to_string()),
        YamlData::Value(Scalar::Null) => Ok("null".into()),
        YamlData::Representation(text, _, _) => Ok(text.to_string()),
        _ => Err(YamlError {
            span: span_of(k),
            message: "mapping keys must be plain scalars".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_places_are_kept() {
        let (v, map) =
            parse("idp:\n  provider:\n    slug: os\n    encryption_key: true\nlist: [a, 2]\n")
                .unwrap();
        assert_eq!(v["idp"]["provider"]["slug"], "os");
        assert_eq!(v["idp"]["provider"]["encryption_key"], true);
        assert_eq!(v["list"][1], 2);
        let o = map.get("/idp/provider/encryption_key").unwrap();
        assert_eq!(
            o.key,
            Some(Span {
                line: 4,
                column: 5,
                width: 14
            })
        );
        assert_eq!(o.value.line, 4);
        assert_eq!(o.value.column, 21);
        assert_eq!(
            map.get("/list/1").unwrap().value,
            Span {
                line: 5,
                column: 11,
                width: 1
            }
        );
    }

    #[test]
    fn keys_that_are_pointers_are_escaped() {
        let (v, map) = parse("set:\n  /idp/provider/slug: x\n").unwrap();
        assert_eq!(v["set"]["/idp/provider/slug"], "x");
        assert!(map.get("/set/~1idp~1provider~1slug").is_some());
    }

    #[test]
    fn yaml_1_2_keeps_off_and_on_as_strings() {
        let (v, _) = parse("a: off\nb: on\nc: \"off\"\n").unwrap();
        assert_eq!(v["a"], "off");
        assert_eq!(v["b"], "on");
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_place() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.span.line, 3);
        assert!(e.message.contains("duplicated key"), "{}", e.message);
    }

    #[test]
    fn a_second_document_is_an_error() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.span.line, 3);
    }
}
