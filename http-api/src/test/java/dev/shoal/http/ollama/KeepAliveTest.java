package dev.shoal.http.ollama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shoal.http.common.ApiException;
import dev.shoal.http.common.JsonFields;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class KeepAliveTest {

    static Duration parse(String json) {
        return KeepAlive.parse(JsonFields.parse("{\"keep_alive\":" + json + "}"), "keep_alive");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"5m\"      | PT5M",
            "\"1h30m\"   | PT1H30M",
            "\"1.5h\"    | PT1H30M",
            "\"300ms\"   | PT0.3S",
            "\"2m3.5s\"  | PT2M3.5S",
            "\"10us\"    | PT0.00001S",
            "\"0\"       | PT0S",
            "\"0s\"      | PT0S",
            "0           | PT0S",
            "30          | PT30S",
            "2.5         | PT2.5S",
            "\"120\"     | PT2M",
    })
    void shouldReadGoDurationsAndSeconds(String json, String expected) {
        assertEquals(Duration.parse(expected.trim()), parse(json.trim()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "\"-1m\"", "\"-5s\"", "1e12", "\"1000000h\""})
    void shouldReadNegativeOrHugeAsForever(String json) {
        assertEquals(KeepAlive.FOREVER, parse(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"5 minutes\"", "\"m\"", "\"\"", "true", "[]", "{}"})
    void shouldRefuseWhatIsNotADuration(String json) {
        assertThrows(ApiException.class, () -> parse(json));
    }

    @Test
    void shouldBeNullWhenAbsentOrNull() {
        assertNull(parse("null"));
        assertNull(KeepAlive.parse(JsonFields.parse("{}"), "keep_alive"));
    }
}
