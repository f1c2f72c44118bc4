package io.promptline.requests;

import io.promptline.avro.ContentPart;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The rules for the parts, tools and history of a request: each problem names its field. */
class RequestRulesTest {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}";

    private static PromptRequest.Builder request() {
        return PromptRequest.newBuilder().setRequestId("r1").setTenant("acme").setPriority(Priority.NORMAL).setCreatedAt(Instant.EPOCH)
                .setMessages(List.of(Messages.text("user", "hi")));
    }

    private static ToolDefinition tool(String name, String parameters) {
        return ToolDefinition.newBuilder().setName(name).setParameters(parameters).build();
    }

    @Test
    void shouldAcceptImagesToolsAndAToolRoundTrip() {
        PromptRequest r = request().setMessages(List.of(
                        Messages.parts(List.of(Messages.textPart("What is this?"), Messages.imagePart("https://example.com/a.png"),
                                Messages.imagePart("data:image/png;base64,iVBORw0KGgo="))),
                        Messages.toolCalls(null, List.of(new ToolCall("call_1", "lookup", "{\"id\":\"42\"}"))),
                        Messages.toolResult("call_1", "")))
                .setTools(List.of(tool("lookup", SCHEMA))).setToolChoice("lookup").setStop(List.of("END")).setTopP(0.5).build();
        assertThat(RequestRules.problem(r)).isEmpty();
    }

    @Test
    void shouldNameTheFieldOfEachProblem() {
        assertThat(RequestRules.problem(request().setMessages(List.of(Messages.parts(List.of(Messages.imagePart("file:///etc/passwd")))))
                .build())).hasValueSatisfying(p -> assertThat(p).startsWith("messages[0].parts[0].image_url must be"));
        assertThat(RequestRules.problem(request().setMessages(List.of(Messages.parts(List.of(
                ContentPart.newBuilder().setType("audio").build())))).build())).hasValue("messages[0].parts[0].type 'audio' must be text or image_url");
        assertThat(RequestRules.problem(request().setMessages(List.of(Messages.text("tool", "22 degrees"))).build()))
                .hasValue("messages[0].tool_call_id must name the call a tool message answers");
        assertThat(RequestRules.problem(request().setMessages(List.of(
                io.promptline.avro.ChatMessage.newBuilder().setRole("user").setContent("x").setToolCalls(List.of(new ToolCall("c", "f", "{}")))
                        .build())).build())).hasValue("messages[0].tool_calls: only an assistant message has tool calls");
        assertThat(RequestRules.problem(request().setMessages(List.of(Messages.toolCalls("", List.of(new ToolCall("c", "f", "{oops")))))
                .build())).hasValueSatisfying(p -> assertThat(p).startsWith("messages[0].tool_calls[0].arguments is not valid JSON"));
        assertThat(RequestRules.problem(request().setTools(List.of(tool("look up", SCHEMA))).build()))
                .hasValue("tools[0].name 'look up' must be 1 to 64 letters, digits, _ or -");
        assertThat(RequestRules.problem(request().setTools(List.of(tool("a", SCHEMA), tool("a", SCHEMA))).build()))
                .hasValue("tools[1].name 'a' is used twice");
        assertThat(RequestRules.problem(request().setTools(List.of(tool("a", "[1]"))).build()))
                .hasValue("tools[0].parameters must be a JSON object, was [1]");
        assertThat(RequestRules.problem(request().setToolChoice("required").build())).hasValue("tool_choice 'required' needs tools");
        assertThat(RequestRules.problem(request().setTools(List.of(tool("a", SCHEMA))).setToolChoice("b").build()))
                .hasValue("tool_choice 'b' must be auto, none, required or one of the tools [a]");
        assertThat(RequestRules.problem(request().setTopP(1.5).build())).hasValue("top_p 1.5 is outside [0, 1]");
        assertThat(RequestRules.problem(request().setStop(List.of("a", "b", "c", "d", "e")).build()))
                .hasValue("stop has 5 sequences; at most 4 allowed");
    }
}
