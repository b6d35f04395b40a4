package io.gmq.net.testing;

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
import java.util.TreeSet;

/** One scrape in the Prometheus text format, parsed into samples (name, labels, value). */
public final class Scrape {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public record Sample(String name, Map<String, String> labels, double value) {}

    private final String text;
    private final List<Sample> samples;

    private Scrape(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** GET {@code url} (a /metrics address); fails the test unless it answers 200. */
    public static Scrape of(String url) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("GET " + url + ": " + r.statusCode() + " " + r.body());
            }
            return parse(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public static Scrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            int brace = series.indexOf('{');
            Map<String, String> labels = new LinkedHashMap<>();
            String name = series;
            if (brace >= 0) {
                name = series.substring(0, brace);
                // label="value",... (GMQ's label values hold no quote or comma)
                for (String pair :
                        series.substring(brace + 1, series.length() - 1).split(",")) {
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            samples.add(new Sample(name, labels, value));
        }
        return new Scrape(text, samples);
    }

    private List<Sample> matching(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (all) {
                found.add(s);
            }
        }
        return found;
    }

    public boolean has(String name, String... labels) {
        return !matching(name, labels).isEmpty();
    }

    /** The sum of the samples of {@code name} with these label pairs; NaN if there is none. */
    public double value(String name, String... labels) {
        List<Sample> found = matching(name, labels);
        return found.isEmpty()
                ? Double.NaN
                : found.stream().mapToDouble(Sample::value).sum();
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Every sample name, sorted. */
    public List<String> names() {
        TreeSet<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return List.copyOf(names);
    }

    @Override
    public String toString() {
        return text;
    }
}
