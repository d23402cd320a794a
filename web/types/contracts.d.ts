// The contract's shapes under the names the page uses. Everything here comes from the files
// web/tools/gen-types.mjs generates from contracts/ (types/generated/, not in git), so a change
// to the OpenAPI document or the WebSocket schema reaches the page's type check.
import type { components, operations } from "./generated/http-api";
import type * as Ws from "./generated/websocket-messages";
import type { ClientMessage as WsClientMessage } from "./generated/websocket-client-messages";

type Schemas = components["schemas"];
type Json<Op extends keyof operations, Status extends keyof operations[Op]["responses"]> =
  operations[Op]["responses"][Status] extends { content: { "application/json": infer Body } } ? Body : never;

export type CreateJobRequest = Schemas["CreateJobRequest"];
export type CreatedJob = Json<"createJob", 201>;
export type UploadTarget = Schemas["UploadTarget"];
export type Job = Json<"getJob", 200>;
export type StartedJob = Json<"startJob", 202>;
export type JobList = Json<"listJobs", 200>;
export type JobSummary = Schemas["JobSummary"];
export type JobFile = Schemas["File"];
export type LabeledPair = Schemas["LabeledPair"];
export type Category = Schemas["Category"];
export type JobStatus = Schemas["JobStatus"];
export type FileStatus = Schemas["FileStatus"];
export type ApiError = Schemas["Error"];
export type ApiErrorName = Schemas["Error"]["error"];

export type ServerMessage = Ws.NarratixWebSocketMessages;
export type FileProgress = Ws.FileProgress;
export type FileDone = Ws.FileDone;
export type JobDone = Ws.JobDone;
export type JobFailed = Ws.JobFailed;
export type Subscribed = Ws.Subscribed;
export type SocketError = Ws.Error;
export type ClientMessage = WsClientMessage;
