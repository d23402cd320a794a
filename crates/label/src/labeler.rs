use std::ops::Range;

use narratix_domain::{LabeledPair, Prefill, TokenUsage};

use crate::gate::{CallBudget, CallEstimate, CallOutcome};
use crate::lines::{labeling_lines, truncate_to_chars};
use crate::prefill::prefill;
use crate::protocol::{
    instructions, numbered_lines, parse_categories, parse_split, repair_request, slice_pairs,
    split_request, SpanPair, Task,
};
use crate::provider::{client_for, Conversation, ModelClient, Role, Turn};
use crate::split::offline_split;
use crate::{LabelConfig, LabelError};

/// The pairs of one document and what the provider charged for them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labeled {
    pub pairs: Vec<LabeledPair>,
    /// Tokens and calls spent, the repair call included; zero for the offline labeler.
    pub usage: TokenUsage,
    /// The text was longer than `max_input_chars` and its tail was not labeled.
    pub truncated: bool,
    /// What the save form can be filled in with, read from the lines that are not answers.
    pub prefill: Prefill,
}

/// Labels documents with one configuration. Build it once (per Lambda container) and share it.
#[derive(Debug)]
pub struct Labeler {
    config: LabelConfig,
    client: Option<Box<dyn ModelClient>>,
}

impl Labeler {
    pub fn new(config: LabelConfig) -> Result<Labeler, LabelError> {
        config.validate()?;
        let client = client_for(&config)?;
        Ok(Labeler { config, client })
    }

    pub fn config(&self) -> &LabelConfig {
        &self.config
    }

    /// Splits `text` into question/answer pairs and categorises each question. The texts of
    /// the pairs are the normalised source lines, never model output.
    pub async fn label(&self, text: &str) -> Result<Labeled, LabelError> {
        self.label_within(text, CallBudget::unlimited()).await
    }

    /// [`Labeler::label`] with every provider call admitted by `budget`'s gate and answered
    /// before its deadline.
    pub async fn label_within(
        &self,
        text: &str,
        budget: CallBudget<'_>,
    ) -> Result<Labeled, LabelError> {
        let mut lines = labeling_lines(text);
        let truncated = truncate_to_chars(&mut lines, self.config.max_input_chars);
        if lines.is_empty() {
            return Err(LabelError::Empty);
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (spans, usage) = match &self.client {
            None => (self.label_offline(&lines)?, TokenUsage::default()),
            Some(client) => {
                self.label_with_model(client.as_ref(), &lines, budget)
                    .await?
            }
        };
        tracing::info!(
            provider = %self.config.provider,
            lines = lines.len(),
            pairs = spans.len(),
            input_tokens = usage.input_tokens,
            output_tokens = usage.output_tokens,
            calls = usage.calls,
            truncated,
            "labeled"
        );
        let answers: Vec<Range<usize>> = spans.iter().map(|span| span.answer.clone()).collect();
        Ok(Labeled {
            pairs: slice_pairs(&lines, &spans),
            usage,
            truncated,
            prefill: prefill(&lines, &answers),
        })
    }

    fn label_offline(&self, lines: &[&str]) -> Result<Vec<SpanPair>, LabelError> {
        let split = offline_split(lines);
        if split.pairs.is_empty() {
            return Err(LabelError::InvalidResponse(
                "the offline labeler found no question/answer pairs".into(),
            ));
        }
        let mut spans = split.labeled_spans(lines);
        spans.truncate(self.config.max_pairs);
        Ok(spans)
    }

    async fn label_with_model(
        &self,
        client: &dyn ModelClient,
        lines: &[&str],
        budget: CallBudget<'_>,
    ) -> Result<(Vec<SpanPair>, TokenUsage), LabelError> {
        let asking = Asking {
            client,
            budget,
            timeout: self.config.timeout,
        };
        let split = offline_split(lines);
        let hybrid = self.config.hybrid
            && split.confident
            && (1..=self.config.max_pairs).contains(&split.pairs.len());
        if hybrid {
            let questions = split.question_texts(lines);
            let task = Task::Categorize {
                questions: questions.len(),
            };
            let (categories, usage) = asking
                .ask(task, numbered_lines(&questions, 0), |reply| {
                    parse_categories(reply, questions.len())
                })
                .await?;
            return Ok((split.with_categories(&categories), usage));
        }
        let task = Task::Split {
            max_pairs: self.config.max_pairs,
        };
        let max_pairs = self.config.max_pairs;
        let likely_questions: Vec<Range<usize>> = split
            .pairs
            .iter()
            .map(|(question, _)| question.clone())
            .collect();
        asking
            .ask(
                task,
                split_request(lines, &likely_questions, self.config.max_line_chars),
                |reply| parse_split(reply, lines.len(), max_pairs),
            )
            .await
    }
}

/// One labeling's calls: the client, the budget that admits them, the configured timeout.
struct Asking<'a> {
    client: &'a dyn ModelClient,
    budget: CallBudget<'a>,
    timeout: std::time::Duration,
}

impl Asking<'_> {
    /// One request, validated; on an invalid reply one repair turn carrying the problem, then
    /// `InvalidResponse`. Usage sums both calls.
    async fn ask<T>(
        &self,
        task: Task,
        document: String,
        validate: impl Fn(&str) -> Result<T, String>,
    ) -> Result<(T, TokenUsage), LabelError> {
        let instructions = instructions(task);
        let mut turns = vec![Turn {
            role: Role::User,
            text: document,
        }];
        let mut usage = TokenUsage::default();
        let reply = self.call(&instructions, &turns, task, false).await?;
        usage.add(reply.usage);
        let problem = match validate(&reply.text) {
            Ok(value) => return Ok((value, usage)),
            Err(problem) => problem,
        };
        tracing::warn!(%problem, "invalid model reply; asking once more");
        let rejected = if reply.text.trim().is_empty() {
            "(no reply)".to_owned()
        } else {
            reply.text
        };
        turns.push(Turn {
            role: Role::Assistant,
            text: rejected,
        });
        turns.push(Turn {
            role: Role::User,
            text: repair_request(&problem),
        });
        let repaired = self.call(&instructions, &turns, task, true).await?;
        usage.add(repaired.usage);
        match validate(&repaired.text) {
            Ok(value) => Ok((value, usage)),
            Err(problem) => {
                tracing::warn!(%problem, "model reply still invalid after the repair request");
                Err(LabelError::InvalidResponse(problem))
            }
        }
    }

    /// One provider call: admitted by the gate, bounded by the deadline, its outcome told to
    /// the gate.
    async fn call(
        &self,
        instructions: &str,
        turns: &[Turn],
        task: Task,
        repair: bool,
    ) -> Result<crate::provider::Reply, LabelError> {
        let estimate = CallEstimate::for_prompt(
            std::iter::once(instructions).chain(turns.iter().map(|turn| turn.text.as_str())),
            repair,
        );
        self.budget.gate.admit(estimate).await?;
        let Some(timeout) = self
            .budget
            .call_timeout(self.timeout, std::time::Instant::now())
        else {
            self.budget.gate.settle(estimate, CallOutcome::Failed).await;
            return Err(LabelError::DeadlineReached);
        };
        let reply = self
            .client
            .complete(&Conversation {
                instructions,
                turns,
                task,
                timeout,
            })
            .await;
        let outcome = match &reply {
            Ok(reply) => CallOutcome::Answered(reply.usage),
            Err(LabelError::RateLimited { retry_after }) => CallOutcome::Throttled(*retry_after),
            Err(_) => CallOutcome::Failed,
        };
        self.budget.gate.settle(estimate, outcome).await;
        reply
    }
}
