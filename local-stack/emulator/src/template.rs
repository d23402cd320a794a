//! `template.yaml` read as the local stack needs it: resources, parameter defaults, conditions,
//! and the intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, `!If`, `!Not`, `!Equals`, `!And`,
//! `!Or`, `!Join`, `!Select`, in short or `Fn::` form) resolved against local names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use regex::Regex;
use serde_json::{Map, Value as Json};
use serde_norway::Value as Yaml;

use crate::error::LocalError;

/// One resource of the template, with its properties still unresolved.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: String,
    pub properties: Yaml,
    pub metadata: Yaml,
}

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// Every declared parameter's name.
    pub parameter_names: BTreeSet<String>,
    pub parameter_defaults: HashMap<String, Yaml>,
    pub conditions: HashMap<String, Yaml>,
    pub globals_function: Yaml,
    pub resources: BTreeMap<String, Resource>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, LocalError> {
        let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
            context: format!("reading {}", path.display()),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, LocalError> {
        let document: Yaml = serde_norway::from_str(text)
            .map_err(|error| LocalError::Template(format!("not YAML: {error}")))?;
        let mut parameter_names = BTreeSet::new();
        let mut parameter_defaults = HashMap::new();
        if let Some(parameters) = document.get("Parameters").and_then(Yaml::as_mapping) {
            for (name, spec) in parameters {
                if let Some(name) = name.as_str() {
                    parameter_names.insert(name.to_owned());
                }
                if let (Some(name), Some(default)) = (name.as_str(), spec.get("Default")) {
                    parameter_defaults.insert(name.to_owned(), default.clone());
                }
            }
        }
        let mut conditions = HashMap::new();
        if let Some(declared) = document.get("Conditions").and_then(Yaml::as_mapping) {
            for (name, expression) in declared {
                if let Some(name) = name.as_str() {
                    conditions.insert(name.to_owned(), expression.clone());
                }
            }
        }
        let globals_function = document
            .get("Globals")
            .and_then(|globals| globals.get("Function"))
            .cloned()
            .unwrap_or(Yaml::Null);
        let mut resources = BTreeMap::new();
        let declared = document
            .get("Resources")
            .and_then(Yaml::as_mapping)
            .ok_or_else(|| LocalError::Template("no Resources section".into()))?;
        for (logical_id, body) in declared {
            let Some(logical_id) = logical_id.as_str() else {
                continue;
            };
            let kind = body.get("Type").and_then(Yaml::as_str).ok_or_else(|| {
                LocalError::Template(format!("resource {logical_id} has no Type"))
            })?;
            resources.insert(
                logical_id.to_owned(),
                Resource {
                    kind: kind.to_owned(),
                    properties: body.get("Properties").cloned().unwrap_or(Yaml::Null),
                    metadata: body.get("Metadata").cloned().unwrap_or(Yaml::Null),
                },
            );
        }
        Ok(Self {
            parameter_names,
            parameter_defaults,
            conditions,
            globals_function,
            resources,
        })
    }

    /// Sets one resource property, local only: `path` is `/`-separated keys below the
    /// resource's `Properties` (`Environment/Variables/NARRATIX_JOB_TIMEOUT_SECONDS`). The
    /// resource and every key above the last must exist, so a typo is an error rather than a
    /// setting nothing reads.
    pub fn override_property(
        &mut self,
        resource: &str,
        path: &str,
        value: &str,
    ) -> Result<(), LocalError> {
        let unknown =
            |what: String| LocalError::Config(format!("override {resource}/{path}: {what}"));
        let declared = self
            .resources
            .get_mut(resource)
            .ok_or_else(|| unknown("no such resource".to_owned()))?;
        let keys: Vec<&str> = path.split('/').filter(|key| !key.is_empty()).collect();
        let Some((last, parents)) = keys.split_last() else {
            return Err(unknown("an empty path".to_owned()));
        };
        let mut node = &mut declared.properties;
        for key in parents {
            node = node
                .get_mut(*key)
                .ok_or_else(|| unknown(format!("no {key:?}")))?;
        }
        let mapping = node
            .as_mapping_mut()
            .ok_or_else(|| unknown("the parent is not a mapping".to_owned()))?;
        mapping.insert(
            Yaml::String((*last).to_owned()),
            Yaml::String(value.to_owned()),
        );
        Ok(())
    }

    /// Resources of one type, in logical-id order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Resource)> {
        self.resources
            .iter()
            .filter(move |(_, resource)| resource.kind == kind)
            .map(|(id, resource)| (id.as_str(), resource))
    }
}

/// What `!Ref` and `!GetAtt` give for one resource in the local stack.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LocalNames {
    #[serde(rename = "ref")]
    pub reference: String,
    pub attributes: BTreeMap<String, String>,
}

/// Resolves intrinsic functions to local values.
pub struct Resolver<'t> {
    template: &'t Template,
    parameters: HashMap<String, Json>,
    pseudo: HashMap<&'static str, String>,
    names: HashMap<String, LocalNames>,
}

impl<'t> Resolver<'t> {
    /// `parameter_overrides` win over the template's defaults (local values for parameters that
    /// have none, such as the JWT issuer).
    pub fn new(
        template: &'t Template,
        parameter_overrides: &HashMap<String, String>,
        pseudo: HashMap<&'static str, String>,
        names: HashMap<String, LocalNames>,
    ) -> Self {
        let mut parameters: HashMap<String, Json> = template
            .parameter_defaults
            .iter()
            .map(|(name, value)| (name.clone(), plain_json(value)))
            .collect();
        for (name, value) in parameter_overrides {
            parameters.insert(name.clone(), Json::String(value.clone()));
        }
        Self {
            template,
            parameters,
            pseudo,
            names,
        }
    }

    pub fn names(&self) -> &HashMap<String, LocalNames> {
        &self.names
    }

    /// Resolves a value; `None` means `AWS::NoValue` (the key is dropped).
    pub fn resolve(&self, value: &Yaml) -> Result<Option<Json>, LocalError> {
        match value {
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let function = tag.trim_start_matches('!');
                self.intrinsic(function, &tagged.value)
            }
            Yaml::Mapping(mapping) => {
                if mapping.len() == 1 {
                    if let Some((key, argument)) = mapping.iter().next() {
                        if let Some(key) = key.as_str() {
                            if key == "Ref" {
                                return self.intrinsic("Ref", argument);
                            }
                            if let Some(function) = key.strip_prefix("Fn::") {
                                return self.intrinsic(function, argument);
                            }
                            if key == "Condition" {
                                return self.intrinsic("Condition", argument);
                            }
                        }
                    }
                }
                let mut object = Map::new();
                for (key, item) in mapping {
                    let key = match key {
                        Yaml::String(key) => key.clone(),
                        other => plain_json(other).to_string(),
                    };
                    if let Some(resolved) = self.resolve(item)? {
                        object.insert(key, resolved);
                    }
                }
                Ok(Some(Json::Object(object)))
            }
            Yaml::Sequence(items) => {
                let mut array = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(resolved) = self.resolve(item)? {
                        array.push(resolved);
                    }
                }
                Ok(Some(Json::Array(array)))
            }
            other => Ok(Some(plain_json(other))),
        }
    }

    /// Resolves a value that must be present.
    pub fn resolve_required(&self, value: &Yaml, what: &str) -> Result<Json, LocalError> {
        self.resolve(value)?
            .ok_or_else(|| LocalError::Template(format!("{what} resolved to AWS::NoValue")))
    }

    pub fn condition(&self, name: &str) -> Result<bool, LocalError> {
        let expression = self
            .template
            .conditions
            .get(name)
            .ok_or_else(|| LocalError::Template(format!("unknown condition {name}")))?;
        truthy(&self.resolve_required(expression, name)?)
    }

    fn intrinsic(&self, function: &str, argument: &Yaml) -> Result<Option<Json>, LocalError> {
        match function {
            "Ref" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| LocalError::Template("!Ref takes a name".into()))?;
                self.reference(name)
            }
            "GetAtt" => {
                let (resource, attribute) = match argument {
                    Yaml::String(dotted) => dotted.split_once('.').ok_or_else(|| {
                        LocalError::Template(format!("!GetAtt {dotted} has no attribute"))
                    })?,
                    Yaml::Sequence(parts) if parts.len() == 2 => (
                        parts[0].as_str().unwrap_or_default(),
                        parts[1].as_str().unwrap_or_default(),
                    ),
                    _ => return Err(LocalError::Template("!GetAtt takes Resource.Attr".into())),
                };
                Ok(Some(Json::String(self.attribute(resource, attribute)?)))
            }
            "Sub" => self
                .substitute(argument)
                .map(|text| Some(Json::String(text))),
            "If" => {
                let parts = argument
                    .as_sequence()
                    .filter(|parts| parts.len() == 3)
                    .ok_or_else(|| LocalError::Template("!If takes [condition, a, b]".into()))?;
                let name = parts[0]
                    .as_str()
                    .ok_or_else(|| LocalError::Template("!If needs a condition name".into()))?;
                if self.condition(name)? {
                    self.resolve(&parts[1])
                } else {
                    self.resolve(&parts[2])
                }
            }
            "Condition" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| LocalError::Template("Condition takes a name".into()))?;
                Ok(Some(Json::Bool(self.condition(name)?)))
            }
            "Not" => {
                let operand = self.single_operand(argument, "!Not")?;
                Ok(Some(Json::Bool(!truthy(&operand)?)))
            }
            "Equals" => {
                let operands = self.operands(argument, "!Equals")?;
                match operands.as_slice() {
                    [left, right] => Ok(Some(Json::Bool(as_text(left) == as_text(right)))),
                    _ => Err(LocalError::Template("!Equals takes two values".into())),
                }
            }
            "And" | "Or" => {
                let operands = self.operands(argument, function)?;
                let mut values = Vec::with_capacity(operands.len());
                for operand in &operands {
                    values.push(truthy(operand)?);
                }
                let result = if function == "And" {
                    values.iter().all(|value| *value)
                } else {
                    values.iter().any(|value| *value)
                };
                Ok(Some(Json::Bool(result)))
            }
            "Join" => {
                let parts = argument
                    .as_sequence()
                    .filter(|parts| parts.len() == 2)
                    .ok_or_else(|| LocalError::Template("!Join takes [separator, list]".into()))?;
                let separator = parts[0].as_str().unwrap_or_default();
                let list = self.resolve_required(&parts[1], "!Join list")?;
                let texts: Vec<String> = match list {
                    Json::Array(items) => items.iter().map(as_text).collect(),
                    other => vec![as_text(&other)],
                };
                Ok(Some(Json::String(texts.join(separator))))
            }
            "Select" => {
                let parts = argument
                    .as_sequence()
                    .filter(|parts| parts.len() == 2)
                    .ok_or_else(|| LocalError::Template("!Select takes [index, list]".into()))?;
                let index: usize = as_text(&self.resolve_required(&parts[0], "!Select index")?)
                    .parse()
                    .map_err(|_| LocalError::Template("!Select index is not a number".into()))?;
                match self.resolve_required(&parts[1], "!Select list")? {
                    Json::Array(items) => Ok(items.get(index).cloned()),
                    _ => Err(LocalError::Template("!Select needs a list".into())),
                }
            }
            other => Err(LocalError::Template(format!(
                "intrinsic function {other} is not supported locally"
            ))),
        }
    }

    fn single_operand(&self, argument: &Yaml, what: &str) -> Result<Json, LocalError> {
        let operands = self.operands(argument, what)?;
        operands
            .into_iter()
            .next()
            .ok_or_else(|| LocalError::Template(format!("{what} takes one value")))
    }

    fn operands(&self, argument: &Yaml, what: &str) -> Result<Vec<Json>, LocalError> {
        match self.resolve_required(argument, what)? {
            Json::Array(items) => Ok(items),
            other => Ok(vec![other]),
        }
    }

    fn reference(&self, name: &str) -> Result<Option<Json>, LocalError> {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(value) = self.pseudo.get(name) {
            return Ok(Some(Json::String(value.clone())));
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(value.clone()));
        }
        if let Some(names) = self.names.get(name) {
            return Ok(Some(Json::String(names.reference.clone())));
        }
        if self.template.resources.contains_key(name) {
            // A resource the local stack does not emulate (alarms, log groups): its logical id.
            return Ok(Some(Json::String(name.to_owned())));
        }
        Err(LocalError::Template(format!(
            "!Ref {name}: no such parameter or resource"
        )))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, LocalError> {
        if let Some(value) = self
            .names
            .get(resource)
            .and_then(|names| names.attributes.get(attribute))
        {
            return Ok(value.clone());
        }
        if self.template.resources.contains_key(resource) {
            return Ok(format!("{resource}.{attribute}"));
        }
        Err(LocalError::Template(format!(
            "!GetAtt {resource}.{attribute}: no such resource"
        )))
    }

    fn substitute(&self, argument: &Yaml) -> Result<String, LocalError> {
        let (text, variables) = match argument {
            Yaml::String(text) => (text.as_str(), HashMap::new()),
            Yaml::Sequence(parts) if parts.len() == 2 => {
                let text = parts[0]
                    .as_str()
                    .ok_or_else(|| LocalError::Template("!Sub needs a string".into()))?;
                let mut variables = HashMap::new();
                if let Some(mapping) = parts[1].as_mapping() {
                    for (name, value) in mapping {
                        if let Some(name) = name.as_str() {
                            let value = self.resolve_required(value, "!Sub variable")?;
                            variables.insert(name.to_owned(), as_text(&value));
                        }
                    }
                }
                (text, variables)
            }
            _ => return Err(LocalError::Template("!Sub takes a string".into())),
        };
        let placeholder = placeholder_pattern();
        let mut failure = None;
        let result = placeholder.replace_all(text, |captures: &regex::Captures<'_>| {
            let name = &captures[1];
            if let Some(literal) = name.strip_prefix('!') {
                return format!("${{{literal}}}");
            }
            if let Some(value) = variables.get(name) {
                return value.clone();
            }
            let resolved = match name.split_once('.') {
                Some((resource, attribute)) if !name.starts_with("AWS::") => {
                    self.attribute(resource, attribute)
                }
                _ => self
                    .reference(name)
                    .map(|value| value.map(|value| as_text(&value)).unwrap_or_default()),
            };
            resolved.unwrap_or_else(|error| {
                failure = Some(error);
                String::new()
            })
        });
        match failure {
            Some(error) => Err(error),
            None => Ok(result.into_owned()),
        }
    }
}

fn placeholder_pattern() -> Regex {
    // A literal pattern: compiling it cannot fail.
    Regex::new(r"\$\{([^}]+)\}").unwrap_or_else(|_| unreachable!("constant pattern"))
}

/// Replaces `${Name}` placeholders (Step Functions `DefinitionSubstitutions`).
pub fn substitute_definition(
    definition: &str,
    substitutions: &BTreeMap<String, String>,
) -> Result<String, LocalError> {
    let mut missing = Vec::new();
    let result = placeholder_pattern().replace_all(definition, |captures: &regex::Captures<'_>| {
        let name = &captures[1];
        match substitutions.get(name) {
            Some(value) => value.clone(),
            None => {
                missing.push(name.to_owned());
                captures[0].to_owned()
            }
        }
    });
    if missing.is_empty() {
        Ok(result.into_owned())
    } else {
        Err(LocalError::Template(format!(
            "definition placeholders without a substitution: {}",
            missing.join(", ")
        )))
    }
}

/// A YAML value without tags as JSON (tags are dropped, their values kept).
pub fn plain_json(value: &Yaml) -> Json {
    match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(flag) => Json::Bool(*flag),
        Yaml::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Json::from(integer)
            } else if let Some(integer) = number.as_u64() {
                Json::from(integer)
            } else {
                number
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
                    .unwrap_or(Json::Null)
            }
        }
        Yaml::String(text) => Json::String(text.clone()),
        Yaml::Sequence(items) => Json::Array(items.iter().map(plain_json).collect()),
        Yaml::Mapping(mapping) => Json::Object(
            mapping
                .iter()
                .map(|(key, item)| {
                    let key = key
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| plain_json(key).to_string());
                    (key, plain_json(item))
                })
                .collect(),
        ),
        Yaml::Tagged(tagged) => plain_json(&tagged.value),
    }
}

/// A scalar as the text CloudFormation would substitute.
pub fn as_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        Json::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A resolved list property as texts: an array's items, or a CommaDelimitedList parameter's
/// text split at its commas; nothing when absent.
pub fn text_list(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::Array(items)) => items.iter().map(as_text).collect(),
        Some(Json::String(text)) => text
            .split(',')
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn truthy(value: &Json) -> Result<bool, LocalError> {
    match value {
        Json::Bool(flag) => Ok(*flag),
        Json::String(text) if text == "true" => Ok(true),
        Json::String(text) if text == "false" => Ok(false),
        other => Err(LocalError::Template(format!(
            "condition value {other} is not a boolean"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Concurrency:
    Type: Number
    Default: 5
  SecretArn:
    Type: String
    Default: ''
Conditions:
  HasSecret: !Not [!Equals [!Ref SecretArn, '']]
Globals:
  Function:
    Environment:
      Variables:
        RUST_LOG: info
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dead.Arn
        maxReceiveCount: 2
  Dead:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          QUEUE: !Ref Queue
          ENDPOINT: !Sub 'https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/live'
          SECRET: !If [HasSecret, !Ref SecretArn, !Ref AWS::NoValue]
          LONG: { "Fn::Sub": "${Queue.QueueName}-x-${!Literal}" }
          JOINED: !Join ['-', [a, !Ref Concurrency]]
  Api:
    Type: AWS::ApiGatewayV2::Api
"#;

    fn resolver(template: &Template) -> Resolver<'_> {
        let mut names = HashMap::new();
        for (id, queue_name) in [("Queue", "q"), ("Dead", "d")] {
            names.insert(
                id.to_owned(),
                LocalNames {
                    reference: format!("http://local/{queue_name}"),
                    attributes: BTreeMap::from([
                        ("Arn".to_owned(), format!("arn:aws:sqs:r:1:{queue_name}")),
                        ("QueueName".to_owned(), queue_name.to_owned()),
                    ]),
                },
            );
        }
        names.insert(
            "Api".to_owned(),
            LocalNames {
                reference: "ws".to_owned(),
                attributes: BTreeMap::new(),
            },
        );
        let pseudo = HashMap::from([
            ("AWS::Region", "us-east-1".to_owned()),
            ("AWS::URLSuffix", "amazonaws.com".to_owned()),
        ]);
        Resolver::new(template, &HashMap::new(), pseudo, names)
    }

    #[test]
    fn resolves_short_and_long_intrinsics_against_local_names() {
        let template = Template::parse(TEMPLATE).expect("parses");
        let resolver = resolver(&template);
        let queue = &template.resources["Queue"];
        let properties = resolver
            .resolve_required(&queue.properties, "queue")
            .expect("resolves");
        assert_eq!(
            properties["RedrivePolicy"]["deadLetterTargetArn"],
            "arn:aws:sqs:r:1:d"
        );
        assert_eq!(properties["RedrivePolicy"]["maxReceiveCount"], 2);

        let function = &template.resources["Fn"];
        let properties = resolver
            .resolve_required(&function.properties, "fn")
            .expect("resolves");
        let variables = &properties["Environment"]["Variables"];
        assert_eq!(variables["QUEUE"], "http://local/q");
        assert_eq!(
            variables["ENDPOINT"],
            "https://ws.execute-api.us-east-1.amazonaws.com/live"
        );
        assert!(
            variables.get("SECRET").is_none(),
            "AWS::NoValue drops the key"
        );
        assert_eq!(variables["LONG"], "q-x-${Literal}");
        assert_eq!(variables["JOINED"], "a-5");
    }

    #[test]
    fn parameter_overrides_win_and_conditions_follow_them() {
        let template = Template::parse(TEMPLATE).expect("parses");
        let overrides = HashMap::from([("SecretArn".to_owned(), "arn:secret".to_owned())]);
        let resolver = Resolver::new(&template, &overrides, HashMap::new(), HashMap::new());
        assert!(resolver.condition("HasSecret").expect("evaluates"));
    }

    #[test]
    fn a_local_override_sets_a_property_and_a_typo_is_an_error() {
        let mut template = Template::parse(TEMPLATE).expect("parses");
        template
            .override_property("Queue", "RedrivePolicy/maxReceiveCount", "5")
            .expect("an existing parent");
        template
            .override_property("Fn", "Environment/Variables/EXTRA", "1")
            .expect("a new variable");
        let properties = &template.resources["Queue"].properties;
        assert_eq!(
            properties["RedrivePolicy"]["maxReceiveCount"],
            Yaml::String("5".into())
        );
        assert_eq!(
            template.resources["Fn"].properties["Environment"]["Variables"]["EXTRA"],
            Yaml::String("1".into())
        );
        for (resource, path) in [
            ("Nope", "VisibilityTimeout"),
            ("Queue", "Redrive/x"),
            ("Queue", ""),
        ] {
            assert!(
                template.override_property(resource, path, "1").is_err(),
                "{resource}/{path}"
            );
        }
    }

    #[test]
    fn unknown_references_are_errors() {
        let template = Template::parse(TEMPLATE).expect("parses");
        let resolver = resolver(&template);
        let yaml: Yaml = serde_norway::from_str("!Ref Nowhere").expect("yaml");
        assert!(resolver.resolve(&yaml).is_err());
    }

    #[test]
    fn definition_substitution_reports_missing_names() {
        let substitutions = BTreeMap::from([("TableName".to_owned(), "t".to_owned())]);
        assert_eq!(
            substitute_definition(r#"{"T":"${TableName}"}"#, &substitutions).expect("ok"),
            r#"{"T":"t"}"#
        );
        let error =
            substitute_definition(r#"{"Q":"${QueueUrl}"}"#, &substitutions).expect_err("missing");
        assert!(error.to_string().contains("QueueUrl"));
    }
}
