package com.example.demo;

import java.time.Instant;
import java.util.Map;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Two small JSON endpoints to start from. */
@RestController
public class HelloController {

    /** Greets the caller; try /?name=Ada. */
    @GetMapping("/")
    public Map<String, String> hello(@RequestParam(defaultValue = "world") String name) {
        return Map.of("message", "Hello, " + name + "!");
    }

    /** Health endpoint: answers while the app runs. */
    @GetMapping("/api/status")
    public Map<String, String> status() {
        return Map.of("status", "ok", "app", "java-spring", "time", Instant.now().toString());
    }
}
