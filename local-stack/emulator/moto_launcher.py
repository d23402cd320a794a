"""moto's server with two fixes for the local stack (moto 5.2.5).

1. SendTaskFailure keeps its cause: moto's handler passes only the error to its interpreter
   (which accepts both), so a caught task failure's `$.failure.Cause` was null and the state
   machine's "Record file failure" update failed with States.Runtime.
2. The state machine interpreter reuses one boto3 client per (region, service) instead of
   building a new one for every task: client construction is CPU-heavy Python that competes for
   the GIL with moto's own request handling, and it was most of the time of each DynamoDB and
   Lambda task. botocore clients are thread-safe; building them is not, hence the lock.
   NARRATIX_MOTO_CLIENT_CACHE=0 turns this off (to measure it).
3. A retried `.waitForTaskToken` task gets a new task token, as in AWS: moto makes the token
   once per state entry, so a retry reused the first attempt's token and its callback endpoint,
   which still held the failure just reported — the retry "failed" at once with the same error,
   and the worker's answer for the fresh message met a task that no longer waited.
4. DynamoDB requests are served one at a time: moto's TransactWriteItems deep-copies each table
   it touches while other request threads write to it, which failed with "dictionary changed
   size during iteration" (a 500 with an HTML body) under a burst of jobs, and a transaction
   rolled back from such a copy could drop another thread's write.
"""
import faulthandler
import importlib
import os
import signal
import sys
import threading

from moto.core.responses import EmptyResult
from moto.server import main
from moto.stepfunctions.responses import StepFunctionResponse


def send_task_failure(self):
    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"),
        error=self._get_param("error"),
        cause=self._get_param("cause"),
    )
    return EmptyResult()


StepFunctionResponse.send_task_failure = send_task_failure

PARSER = "moto.stepfunctions.parser.asl"

callback_module = importlib.import_module(
    PARSER + ".component.state.exec.state_task.service.state_task_service_callback"
)
StateTaskServiceCallback = callback_module.StateTaskServiceCallback
first_attempt_execution = StateTaskServiceCallback._eval_execution


def eval_execution_with_a_token_per_attempt(self, env):
    context = env.states.context_object
    retry_count = context.context_object_data.get("State", {}).get("RetryCount", 0)
    if (
        retry_count > 0
        and self._is_integration_pattern()
        and callback_module.ResourceCondition.WaitForTaskToken
        in self._supported_integration_patterns
    ):
        env.callback_pool_manager.add(context.update_task_token())
    return first_attempt_execution(self, env)


StateTaskServiceCallback._eval_execution = eval_execution_with_a_token_per_attempt

dynamodb_responses = importlib.import_module("moto.dynamodb.responses")
dynamodb_call_action = dynamodb_responses.DynamoHandler.call_action
dynamodb_lock = threading.Lock()


def call_dynamodb_action_alone(self):
    with dynamodb_lock:
        return dynamodb_call_action(self)


dynamodb_responses.DynamoHandler.call_action = call_dynamodb_action_alone
CLIENT_USERS = [
    "component.state.exec.state_task.lambda_eval_utils",
    "component.state.exec.state_task.service.state_task_service_dynamodb",
    "component.state.exec.state_task.service.state_task_service_sqs",
    "component.state.exec.state_task.service.state_task_service_sfn",
    "component.state.exec.state_task.service.state_task_service_events",
    "component.state.exec.state_task.service.state_task_service_sns",
    "component.state.exec.state_task.service.state_task_service_aws_sdk",
    "component.state.exec.state_task.service.state_task_service_unsupported",
]

if os.environ.get("NARRATIX_MOTO_CLIENT_CACHE", "1") != "0":
    boto_client = importlib.import_module(PARSER + ".utils.boto_client")
    build_client = boto_client.boto_client_for
    clients = {}
    clients_lock = threading.Lock()

    def cached_boto_client_for(region, service, state_credentials=None):
        key = (region, service)
        with clients_lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = build_client(region, service, state_credentials)
        return client

    boto_client.boto_client_for = cached_boto_client_for
    for name in CLIENT_USERS:
        module = importlib.import_module(PARSER + "." + name)
        if hasattr(module, "boto_client_for"):
            module.boto_client_for = cached_boto_client_for

# `kill -USR1 <moto pid>` writes every thread's stack to moto's log: what a stalled stack waits on.
faulthandler.register(signal.SIGUSR1, all_threads=True)

main(sys.argv[1:])
