package dev.shoal.membership.jmx;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A generic JMX client, run in its own JVM by {@link JmxRemoteTest}: connects to the URL in {@code args[0]} and
 * prints, for every {@code dev.shoal:type=Node,*} bean, {@code shoal NAME | MEMBER | MEMBER ...}, and for every
 * {@code pekko:type=Cluster,*} bean {@code pekko MEMBERS}, then {@code done}. It uses nothing of Shoal's: attributes
 * are read as open types, as jconsole would.
 */
public final class JmxProbe {

    public static void main(String[] args) throws Exception {
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(args[0]))) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            Set<ObjectName> shoal = new TreeSet<>(mbs.queryNames(new ObjectName("dev.shoal:type=Node,*"), null));
            for (ObjectName n : shoal) {
                String[] members = (String[]) mbs.getAttribute(n, "Members");
                System.out.println("shoal " + mbs.getAttribute(n, "NodeName") + " | " + String.join(" | ",
                        Arrays.asList(members)) + " | leader " + mbs.getAttribute(n, "Leader")
                        + " | tokens/s " + mbs.getAttribute(n, "TokensPerSecond"));
            }
            for (ObjectName n : new TreeSet<>(mbs.queryNames(new ObjectName("pekko:type=Cluster,*"), null))) {
                System.out.println("pekko " + mbs.getAttribute(n, "Members"));
            }
        }
        System.out.println("done");
    }
}
