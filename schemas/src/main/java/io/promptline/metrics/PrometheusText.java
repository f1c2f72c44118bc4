package io.promptline.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Prometheus text exposition (the {@code /metrics} answer), for tools and tests that read
 * a deployable's meters: {@code sum("promptline_results_total", Map.of("tier", "urgent"))}.
 */
public final class PrometheusText {
    /** One sample line: name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    public static PrometheusText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            out.add(parseLine(line));
        }
        return new PrometheusText(out);
    }

    /** GETs and parses {@code url} (e.g. {@code http://127.0.0.1:9400/metrics}). */
    public static PrometheusText scrape(String url) {
        return parse(scrapeText(url));
    }

    /** GETs {@code url}'s exposition text. */
    public static String scrapeText(String url) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException("GET " + url + " answered HTTP " + r.statusCode());
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot scrape " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted scraping " + url, e);
        }
    }

    /** The sum of every sample of {@code name} whose labels include {@code labels}; 0 if none. */
    public double sum(String name, Map<String, String> labels) {
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet())) total += s.value();
        }
        return total;
    }

    public double sum(String name) {
        return sum(name, Map.of());
    }

    public List<Sample> samples() {
        return samples;
    }

    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    private static Sample parseLine(String line) {
        int brace = line.indexOf('{');
        int space;
        String name;
        Map<String, String> labels = new LinkedHashMap<>();
        if (brace >= 0 && brace < line.indexOf(' ')) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq).strip();
                StringBuilder value = new StringBuilder();
                int j = eq + 2; // skip ="
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        value.append(n == 'n' ? '\n' : n);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') i++;
            }
            space = i + 1;
        } else {
            space = line.indexOf(' ');
            name = line.substring(0, space);
        }
        String[] rest = line.substring(space).strip().split("\\s+");
        return new Sample(name, labels, parseValue(rest[0]));
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }
}
