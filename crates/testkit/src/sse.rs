//! The streaming response body: renders events one at a time, paced, optionally cut.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use tokio::time::{Instant, Sleep};

use crate::events::{self, Envelope, begin, end, item_ref};
use crate::json::{push_raw, push_str, push_u64};
use crate::plan::{Ending, Item, Plan, chunk_ranges};

const OVERLOADED: Envelope = Envelope::Failed {
    code: "server_is_overloaded",
    message: "Our servers are currently overloaded. Please try again later.",
};
const SERVER_ERROR_MSG: &str = "An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.";
const SERVER_ERROR: Envelope = Envelope::Failed {
    code: "server_error",
    message: SERVER_ERROR_MSG,
};

#[derive(Debug, Clone, Copy)]
enum Step {
    Created,
    InProgress,
    Added(usize),
    SummaryPartAdded(usize),
    SummaryDelta(usize, usize, usize),
    SummaryTextDone(usize),
    SummaryPartDone(usize),
    PartAdded(usize),
    TextDelta(usize, usize, usize),
    TextDone(usize),
    PartDone(usize),
    ArgsDelta(usize, usize, usize),
    ArgsDone(usize),
    InputDelta(usize, usize, usize),
    InputDone(usize),
    ImagePhase(usize, &'static str),
    ItemDone(usize),
    Completed,
    Incomplete,
    Failed(Envelope),
    ErrorEvent,
}

/// Produces the events of a [`Plan`] one by one.
pub(crate) struct EventGen {
    plan: Plan,
    steps: Vec<Step>,
    next: usize,
}

impl EventGen {
    pub fn new(plan: Plan) -> EventGen {
        let mut steps = vec![Step::Created, Step::InProgress];
        let truncated = plan.ending == Ending::Incomplete;
        match plan.ending {
            Ending::Overloaded => steps.push(Step::Failed(OVERLOADED)),
            Ending::ErrorEvent => {
                steps.push(Step::ErrorEvent);
                steps.push(Step::Failed(SERVER_ERROR));
            }
            Ending::Completed | Ending::Incomplete => {
                for (i, it) in plan.items.iter().enumerate() {
                    steps.push(Step::Added(i));
                    match it {
                        Item::Reasoning { summary, .. } => {
                            steps.push(Step::SummaryPartAdded(i));
                            steps.extend(
                                chunk_ranges(summary).map(|(a, b)| Step::SummaryDelta(i, a, b)),
                            );
                            steps.extend([Step::SummaryTextDone(i), Step::SummaryPartDone(i)]);
                        }
                        Item::Message { text, .. } => {
                            let text = events::message_text(text, truncated);
                            steps.push(Step::PartAdded(i));
                            steps.extend(chunk_ranges(text).map(|(a, b)| Step::TextDelta(i, a, b)));
                            steps.extend([Step::TextDone(i), Step::PartDone(i)]);
                        }
                        Item::FunctionCall { arguments, .. } => {
                            steps.extend(
                                chunk_ranges(arguments).map(|(a, b)| Step::ArgsDelta(i, a, b)),
                            );
                            steps.push(Step::ArgsDone(i));
                        }
                        Item::CustomToolCall { input, .. } => {
                            steps.extend(
                                chunk_ranges(input).map(|(a, b)| Step::InputDelta(i, a, b)),
                            );
                            steps.push(Step::InputDone(i));
                        }
                        Item::ImageGeneration { .. } => steps.extend(
                            ["in_progress", "generating", "completed"]
                                .map(|phase| Step::ImagePhase(i, phase)),
                        ),
                    }
                    steps.push(Step::ItemDone(i));
                }
                steps.push(if truncated {
                    Step::Incomplete
                } else {
                    Step::Completed
                });
            }
        }
        EventGen {
            plan,
            steps,
            next: 0,
        }
    }

    /// True while events remain.
    pub fn has_more(&self) -> bool {
        self.next < self.steps.len()
    }

    /// Appends the next event to `out`; false when the stream is over.
    pub fn write_next(&mut self, out: &mut BytesMut) -> bool {
        let Some(&step) = self.steps.get(self.next) else {
            return false;
        };
        let seq = self.next as u64;
        self.next += 1;
        self.render(step, seq, out);
        true
    }

    fn id(&self, i: usize) -> &str {
        match &self.plan.items[i] {
            Item::Reasoning { id, .. }
            | Item::Message { id, .. }
            | Item::FunctionCall { id, .. }
            | Item::CustomToolCall { id, .. }
            | Item::ImageGeneration { id, .. } => id,
        }
    }

    fn text(&self, i: usize) -> &str {
        let truncated = self.plan.ending == Ending::Incomplete;
        match &self.plan.items[i] {
            Item::Reasoning { summary, .. } => summary,
            Item::Message { text, .. } => events::message_text(text, truncated),
            Item::FunctionCall { arguments, .. } => arguments,
            Item::CustomToolCall { input, .. } => input,
            Item::ImageGeneration { result, .. } => result,
        }
    }

    fn render(&self, step: Step, seq: u64, out: &mut BytesMut) {
        let plan = &self.plan;
        let truncated = plan.ending == Ending::Incomplete;
        match step {
            Step::Created => {
                begin(out, "response.created", seq);
                events::response(out, plan, Envelope::InProgress);
            }
            Step::InProgress => {
                begin(out, "response.in_progress", seq);
                events::response(out, plan, Envelope::InProgress);
            }
            Step::Added(i) | Step::ItemDone(i) => {
                let done = matches!(step, Step::ItemDone(_));
                let name = if done {
                    "response.output_item.done"
                } else {
                    "response.output_item.added"
                };
                begin(out, name, seq);
                push_raw(out, ",\"output_index\":");
                push_u64(out, i as u64);
                push_raw(out, ",\"item\":");
                events::item(out, &plan.items[i], done, truncated);
            }
            Step::SummaryPartAdded(i) | Step::SummaryPartDone(i) => {
                let done = matches!(step, Step::SummaryPartDone(_));
                let name = if done {
                    "response.reasoning_summary_part.done"
                } else {
                    "response.reasoning_summary_part.added"
                };
                begin(out, name, seq);
                item_ref(out, self.id(i), i);
                push_raw(
                    out,
                    ",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":",
                );
                push_str(out, if done { self.text(i) } else { "" });
                push_raw(out, "}");
            }
            Step::SummaryDelta(i, a, b) => {
                begin(out, "response.reasoning_summary_text.delta", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"summary_index\":0,\"delta\":");
                push_str(out, &self.text(i)[a..b]);
            }
            Step::SummaryTextDone(i) => {
                begin(out, "response.reasoning_summary_text.done", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"summary_index\":0,\"text\":");
                push_str(out, self.text(i));
            }
            Step::PartAdded(i) | Step::PartDone(i) => {
                let done = matches!(step, Step::PartDone(_));
                let name = if done {
                    "response.content_part.done"
                } else {
                    "response.content_part.added"
                };
                begin(out, name, seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"content_index\":0,\"part\":");
                events::output_text_part(out, if done { self.text(i) } else { "" });
            }
            Step::TextDelta(i, a, b) => {
                begin(out, "response.output_text.delta", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"content_index\":0,\"delta\":");
                push_str(out, &self.text(i)[a..b]);
                push_raw(out, ",\"logprobs\":[]");
            }
            Step::TextDone(i) => {
                begin(out, "response.output_text.done", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"content_index\":0,\"text\":");
                push_str(out, self.text(i));
                push_raw(out, ",\"logprobs\":[]");
            }
            Step::ArgsDelta(i, a, b) | Step::InputDelta(i, a, b) => {
                let name = if matches!(step, Step::ArgsDelta(..)) {
                    "response.function_call_arguments.delta"
                } else {
                    "response.custom_tool_call_input.delta"
                };
                begin(out, name, seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"delta\":");
                push_str(out, &self.text(i)[a..b]);
            }
            Step::ArgsDone(i) => {
                begin(out, "response.function_call_arguments.done", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"arguments\":");
                push_str(out, self.text(i));
            }
            Step::InputDone(i) => {
                begin(out, "response.custom_tool_call_input.done", seq);
                item_ref(out, self.id(i), i);
                push_raw(out, ",\"input\":");
                push_str(out, self.text(i));
            }
            Step::ImagePhase(i, phase) => {
                begin(out, &format!("response.image_generation_call.{phase}"), seq);
                item_ref(out, self.id(i), i);
            }
            Step::Completed => {
                begin(out, "response.completed", seq);
                events::response(out, plan, Envelope::Completed);
            }
            Step::Incomplete => {
                begin(out, "response.incomplete", seq);
                events::response(out, plan, Envelope::Incomplete);
            }
            Step::Failed(env) => {
                begin(out, "response.failed", seq);
                events::response(out, plan, env);
            }
            Step::ErrorEvent => {
                begin(out, "error", seq);
                push_raw(
                    out,
                    ",\"error\":{\"type\":\"server_error\",\"code\":\"server_error\",\"message\":",
                );
                push_str(out, SERVER_ERROR_MSG);
                push_raw(out, ",\"param\":null}");
            }
        }
        end(out);
    }
}

/// Where the events of a stream come from.
pub(crate) enum Source {
    /// Rendered from an echo plan.
    Echo(EventGen),
    /// A recorded `.sse` file, served verbatim one blank-line-terminated frame at a time.
    Replay { data: Bytes, pos: usize },
}

impl Source {
    fn next_chunk(&mut self, buf: &mut BytesMut) -> Option<Bytes> {
        match self {
            Source::Echo(g) => g.write_next(buf).then(|| buf.split().freeze()),
            Source::Replay { data, pos } => {
                if *pos >= data.len() {
                    return None;
                }
                let rest = &data[*pos..];
                let end = frame_end(rest).unwrap_or(rest.len());
                let chunk = data.slice(*pos..*pos + end);
                *pos += end;
                Some(chunk)
            }
        }
    }

    fn has_more(&self) -> bool {
        match self {
            Source::Echo(g) => g.has_more(),
            Source::Replay { data, pos } => *pos < data.len(),
        }
    }
}

/// Length up to and including the first blank line (`\n\n` or `\r\n\r\n`).
fn frame_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\n' {
            if b[i + 1] == b'\n' {
                return Some(i + 2);
            }
            if b[i + 1] == b'\r' && b.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// Pause between the last event of a cut stream and the abort, so the events reach the client.
const CUT_GRACE: Duration = Duration::from_millis(20);

/// A paced SSE body; with `cut_after` the connection is aborted after that many events.
pub(crate) struct SseBody {
    source: Source,
    delay: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    waiting: bool,
    emitted: u32,
    cut_after: Option<u32>,
    cutting: bool,
    buf: BytesMut,
}

impl SseBody {
    pub fn new(source: Source, delay: Duration, cut_after: Option<u32>) -> SseBody {
        SseBody {
            source,
            delay,
            sleep: None,
            waiting: false,
            emitted: 0,
            cut_after,
            cutting: false,
            buf: BytesMut::new(),
        }
    }

    pub fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        loop {
            if self.waiting {
                if let Some(s) = self.sleep.as_mut() {
                    ready!(s.as_mut().poll(cx));
                }
                self.waiting = false;
            }
            if self.cut_after.is_some_and(|n| self.emitted >= n) {
                if !self.cutting {
                    // Let hyper flush what was already produced before the connection drops.
                    self.cutting = true;
                    self.arm(CUT_GRACE);
                    continue;
                }
                let err = std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "mock fault: stream cut",
                );
                return Poll::Ready(Some(Err(err)));
            }
            let Some(chunk) = self.source.next_chunk(&mut self.buf) else {
                return Poll::Ready(None);
            };
            self.emitted += 1;
            if !self.delay.is_zero() && self.source.has_more() {
                self.arm(self.delay);
            }
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
    }

    fn arm(&mut self, after: Duration) {
        let deadline = Instant::now() + after;
        match self.sleep.as_mut() {
            Some(s) => s.as_mut().reset(deadline),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
        self.waiting = true;
    }
}
