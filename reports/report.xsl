<?xml version="1.0" encoding="UTF-8"?>
<!--
  report.xsl: the HTML page of 'vethmap report' in the html format, made from the report's XML
  (schema/vethmap-report.xsd) by libxslt inside vethmap.  Installed in DATADIR; vethmap
  looks in $VETHMAP_DATADIR, then DATADIR, then ./reports.  Plain HTML 4, inline CSS and
  inline SVG (so an HTML5 doctype): the page is one self-contained file (no script, nothing
  loaded from outside).

  The drawing: for this page vethmap adds to the report's document, as the last child of
  vethmap-report, the svg:svg element that 'vethmap graph' writes as SVG, every namespace
  drawn alone as its expand option draws (it is not part of the XML format, nor of the
  schema).  Its node and cluster names (the svg:title of each
  g) are graph_dot.c's: "nK" is interface ifK-1, "cluster_cK" namespace nsK-1.  The "draw"
  mode below copies only the SVG elements Graphviz draws with (and their plain attributes),
  gives those g ids "draw-ifN" / "draw-nsN" and a link to their row, the row links back,
  and each one with findings gets the class f-SEVERITY (its worst) and the findings in its
  tooltip.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:svg="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
                exclude-result-prefixes="svg xlink">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:key name="ns" match="netns" use="@id"/>
  <xsl:key name="iface" match="interface" use="@id"/>
  <xsl:key name="by-ref" match="interface|netns|container" use="@ref"/>
  <xsl:key name="finding-by-object" match="finding" use="object"/>
  <xsl:key name="drawn" match="svg:g[@class='node' or @class='cluster']" use="svg:title"/>

  <xsl:variable name="r" select="/vethmap-report"/>

  <xsl:template match="/vethmap-report">
    <html>
      <head>
        <title>vethmap report: <xsl:value-of select="scan/@host"/>, scan <xsl:value-of select="scan/@id"/></title>
        <style type="text/css">
          body { font-family: sans-serif; margin: 1.5em; color: #222; }
          h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
          table { border-collapse: collapse; margin: 0.5em 0; }
          th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
          th { background: #eee; }
          td.num { text-align: right; }
          code, .mono { font-family: monospace; }
          .error { background: #fdd; } .warning { background: #ffd; } .info { background: #eef4ff; }
          .sev { font-weight: bold; text-transform: uppercase; font-size: 0.85em; }
          .muted { color: #777; }
          ul.ev { margin: 0; padding-left: 1.2em; }
          div.drawing { overflow: auto; max-height: 80vh; border: 1px solid #ccc; }
          div.drawing a { cursor: pointer; }
          svg g.f-error polygon, svg g.f-error ellipse, svg g.f-error path { stroke: #d00000; stroke-width: 4px; }
          svg g.f-warning polygon, svg g.f-warning ellipse, svg g.f-warning path { stroke: #e08000; stroke-width: 4px; }
          svg g.f-info polygon, svg g.f-info ellipse, svg g.f-info path { stroke: #3060d0; stroke-width: 3px; }
          .key-error { color: #d00000; } .key-warning { color: #e08000; } .key-info { color: #3060d0; }
        </style>
      </head>
      <body>
        <h1>vethmap report</h1>
        <xsl:apply-templates select="scan"/>
        <xsl:apply-templates select="summary"/>
        <xsl:if test="svg:svg">
          <h2>Drawing</h2>
          <p class="muted">Outlined <span class="key-error">red</span>: an error finding,
            <span class="key-warning">orange</span>: a warning, <span class="key-info">blue</span>:
            information (the findings in the tooltip). A namespace or interface links to its row.</p>
          <div class="drawing"><xsl:apply-templates select="svg:svg" mode="draw"/></div>
        </xsl:if>

        <h2>Findings</h2>
        <xsl:choose>
          <xsl:when test="findings/finding">
            <table>
              <tr><th>Severity</th><th>Rule</th><th>Message</th><th>Objects</th><th>Evidence</th></tr>
              <xsl:apply-templates select="findings/finding[@severity='error']"/>
              <xsl:apply-templates select="findings/finding[@severity='warning']"/>
              <xsl:apply-templates select="findings/finding[@severity='info']"/>
            </table>
          </xsl:when>
          <xsl:otherwise><p>No findings.</p></xsl:otherwise>
        </xsl:choose>

        <xsl:apply-templates select="changes"/>

        <h2>Namespaces</h2>
        <table>
          <tr><th>Namespace</th><th>Inode</th><th>Found via</th><th>Bind mounts</th><th>Processes</th><th>Containers</th><th>Findings</th></tr>
          <xsl:apply-templates select="inventory/netns"/>
        </table>
        <xsl:if test="inventory/container">
          <p>Containers whose namespace is unknown:
            <xsl:for-each select="inventory/container">
              <xsl:if test="position() &gt; 1">, </xsl:if>
              <xsl:apply-templates select="."/>
            </xsl:for-each>
          </p>
        </xsl:if>

        <h2>Interfaces</h2>
        <table>
          <tr><th>Interface</th><th>Namespace</th><th>Kind</th><th>MTU</th><th>State</th><th>MAC</th>
            <th>Master</th><th>Peer</th><th>Addresses</th><th>Findings</th></tr>
          <xsl:apply-templates select="inventory/interface"/>
        </table>

        <h2>Edges</h2>
        <xsl:choose>
          <xsl:when test="inventory/edge">
            <table>
              <tr><th>Type</th><th>From</th><th>To</th></tr>
              <xsl:for-each select="inventory/edge">
                <tr>
                  <td><xsl:value-of select="@type"/></td>
                  <td class="mono"><a href="#{@a}"><xsl:value-of select="@a-ref"/></a></td>
                  <td class="mono"><a href="#{@b}"><xsl:value-of select="@b-ref"/></a></td>
                </tr>
              </xsl:for-each>
            </table>
          </xsl:when>
          <xsl:otherwise><p>No edges.</p></xsl:otherwise>
        </xsl:choose>

        <xsl:if test="inventory/unresolved">
          <h2>Unresolved</h2>
          <table>
            <tr><th>Interface</th><th>Reason</th></tr>
            <xsl:for-each select="inventory/unresolved">
              <tr>
                <td class="mono"><a href="#{@if}"><xsl:value-of select="@ref"/></a></td>
                <td><xsl:value-of select="."/></td>
              </tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <p class="muted">Written by <xsl:value-of select="scan/@tool"/>
          <xsl:text> </xsl:text><xsl:value-of select="scan/@version"/>.
          Rule ids are explained in vethmap's README.</p>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="scan">
    <table>
      <tr><th>Host</th><td><xsl:value-of select="@host"/></td></tr>
      <tr><th>Scan</th><td><xsl:value-of select="@id"/>, started <xsl:value-of select="@started"/>
        (<xsl:value-of select="@duration-ms"/> ms)</td></tr>
      <tr><th>Inventory</th><td>
        <xsl:value-of select="count($r/inventory/netns)"/> namespaces,
        <xsl:value-of select="count($r/inventory/interface)"/> interfaces,
        <xsl:value-of select="count($r/inventory/edge)"/> edges,
        <xsl:value-of select="count($r/inventory/unresolved)"/> unresolved</td></tr>
    </table>
  </xsl:template>

  <xsl:template match="summary">
    <h2>Summary</h2>
    <table>
      <tr>
        <xsl:for-each select="count">
          <th class="{@severity}"><xsl:value-of select="@severity"/></th>
        </xsl:for-each>
      </tr>
      <tr>
        <xsl:for-each select="count">
          <td class="num {@severity}"><xsl:value-of select="."/></td>
        </xsl:for-each>
      </tr>
    </table>
  </xsl:template>

  <xsl:template match="finding">
    <tr class="{@severity}">
      <td class="sev"><xsl:value-of select="@severity"/></td>
      <td class="mono"><xsl:value-of select="@rule"/></td>
      <td><xsl:value-of select="message"/></td>
      <td class="mono">
        <xsl:for-each select="object">
          <xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:variable name="target" select="key('by-ref', .)[1]"/>
          <xsl:choose>
            <xsl:when test="$target/@id and local-name($target) != 'container'">
              <a href="#{$target/@id}"><xsl:value-of select="."/></a>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
          </xsl:choose>
        </xsl:for-each>
      </td>
      <td>
        <xsl:if test="evidence">
          <ul class="ev">
            <xsl:for-each select="evidence"><li class="mono"><xsl:value-of select="."/></li></xsl:for-each>
          </ul>
        </xsl:if>
      </td>
    </tr>
  </xsl:template>

  <xsl:template match="changes">
    <h2>Changes since the previous scan</h2>
    <xsl:choose>
      <xsl:when test="not(@previous-scan)"><p>This is the first scan: nothing to compare with.</p></xsl:when>
      <xsl:when test="not(change)"><p>No changes since scan <xsl:value-of select="@previous-scan"/>.</p></xsl:when>
      <xsl:otherwise>
        <p>Since scan <xsl:value-of select="@previous-scan"/>:</p>
        <table>
          <tr><th>Op</th><th>Kind</th><th>Object</th><th>Detail</th></tr>
          <xsl:for-each select="change">
            <tr>
              <td class="mono"><xsl:value-of select="@op"/></td>
              <td><xsl:value-of select="@kind"/></td>
              <td class="mono"><xsl:value-of select="@object"/></td>
              <td><xsl:value-of select="."/></td>
            </tr>
          </xsl:for-each>
        </table>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="findings-of">
    <xsl:param name="ref"/>
    <xsl:for-each select="key('finding-by-object', $ref)">
      <xsl:if test="position() &gt; 1">, </xsl:if>
      <span class="{@severity} mono"><xsl:value-of select="@rule"/></span>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="netns">
    <tr id="{@id}">
      <td class="mono">
        <xsl:call-template name="to-drawing">
          <xsl:with-param name="title" select="concat('cluster_c', substring(@id, 3) + 1)"/>
          <xsl:with-param name="text" select="@label"/>
        </xsl:call-template>
      </td>
      <td class="num"><xsl:value-of select="@inode"/></td>
      <td><xsl:value-of select="@via"/></td>
      <td class="mono">
        <xsl:for-each select="name">
          <xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="."/>
        </xsl:for-each>
      </td>
      <td class="num"><xsl:value-of select="sum(pids/@count)"/></td>
      <td>
        <xsl:for-each select="container">
          <xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:apply-templates select="."/>
        </xsl:for-each>
      </td>
      <td>
        <xsl:call-template name="findings-of"><xsl:with-param name="ref" select="@ref"/></xsl:call-template>
      </td>
    </tr>
  </xsl:template>

  <xsl:template match="container">
    <span class="mono"><xsl:value-of select="@name"/></span>
    <span class="muted">
      (<xsl:value-of select="@engine"/>
      <xsl:if test="@image">, <xsl:value-of select="@image"/></xsl:if>
      <xsl:if test="@pod">, pod <xsl:value-of select="@pod"/></xsl:if>
      <xsl:if test="@host-network = 'true'">, host network</xsl:if>)</span>
    <xsl:text> </xsl:text>
    <xsl:call-template name="findings-of"><xsl:with-param name="ref" select="@ref"/></xsl:call-template>
  </xsl:template>

  <xsl:template match="interface">
    <tr id="{@id}">
      <td class="mono">
        <xsl:call-template name="to-drawing">
          <xsl:with-param name="title" select="concat('n', substring(@id, 3) + 1)"/>
          <xsl:with-param name="text" select="@name"/>
        </xsl:call-template>
      </td>
      <td class="mono"><a href="#{@netns}"><xsl:value-of select="key('ns', @netns)/@label"/></a></td>
      <td><xsl:value-of select="@kind"/></td>
      <td class="num"><xsl:value-of select="@mtu"/></td>
      <td>
        <xsl:choose>
          <xsl:when test="@up = 'true'">up</xsl:when>
          <xsl:otherwise>down</xsl:otherwise>
        </xsl:choose>
        <span class="muted"> (<xsl:value-of select="@oper"/>)</span>
        <xsl:if test="@promisc = 'true'"> promisc</xsl:if>
        <xsl:if test="@hairpin = 'true'"> hairpin</xsl:if>
      </td>
      <td class="mono"><xsl:value-of select="@mac"/></td>
      <td class="mono">
        <xsl:choose>
          <xsl:when test="@master-if"><a href="#{@master-if}"><xsl:value-of select="@master-name"/></a></xsl:when>
          <xsl:when test="@master"><span class="muted">ifindex <xsl:value-of select="@master"/></span></xsl:when>
        </xsl:choose>
      </td>
      <td class="mono">
        <xsl:if test="@peer"><a href="#{@peer}"><xsl:value-of select="@peer-ref"/></a></xsl:if>
      </td>
      <td class="mono">
        <xsl:for-each select="address">
          <xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="."/>
        </xsl:for-each>
      </td>
      <td>
        <xsl:call-template name="findings-of"><xsl:with-param name="ref" select="@ref"/></xsl:call-template>
      </td>
    </tr>
  </xsl:template>
  <!-- text, linked to its place in the drawing (the g of that title) when it is drawn -->
  <xsl:template name="to-drawing">
    <xsl:param name="title"/>
    <xsl:param name="text"/>
    <xsl:variable name="g" select="key('drawn', $title)"/>
    <xsl:choose>
      <xsl:when test="$g">
        <a href="#draw-{@id}" title="in the drawing"><xsl:value-of select="$text"/></a>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ==== the drawing: Graphviz's SVG, copied element by element (see the top) ==== -->

  <!-- the report's object a drawn g stands for: an interface or netns, or nothing -->
  <xsl:template name="object-of">
    <xsl:param name="g"/>
    <xsl:variable name="t" select="string($g/svg:title)"/>
    <xsl:choose>
      <xsl:when test="$g/@class = 'node' and starts-with($t, 'n') and
                      string(number(substring($t, 2))) != 'NaN'">
        <xsl:value-of select="concat('if', substring($t, 2) - 1)"/>
      </xsl:when>
      <xsl:when test="$g/@class = 'cluster' and starts-with($t, 'cluster_c') and
                      string(number(substring($t, 10))) != 'NaN'">
        <xsl:value-of select="concat('ns', substring($t, 10) - 1)"/>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- the worst severity among the findings of ref, or '' -->
  <xsl:template name="worst">
    <xsl:param name="ref"/>
    <xsl:variable name="f" select="key('finding-by-object', $ref)"/>
    <xsl:choose>
      <xsl:when test="$f[@severity = 'error']">error</xsl:when>
      <xsl:when test="$f[@severity = 'warning']">warning</xsl:when>
      <xsl:when test="$f[@severity = 'info']">info</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="svg:svg" mode="draw">
    <svg>
      <xsl:apply-templates select="@*" mode="draw"/>
      <xsl:apply-templates select="*" mode="draw"/>
    </svg>
  </xsl:template>

  <!-- a node or cluster: the interface or namespace it draws, when it draws one -->
  <xsl:template match="svg:g[@class = 'node' or @class = 'cluster']" mode="draw">
    <xsl:param name="obj" select="/.."/>
    <xsl:variable name="mine">
      <xsl:call-template name="object-of"><xsl:with-param name="g" select="."/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="o" select="key('ns', string($mine)) | key('iface', string($mine))"/>
    <g>
      <xsl:apply-templates select="@*[local-name() != 'id']" mode="draw"/>
      <xsl:choose>
        <xsl:when test="$o">
          <xsl:attribute name="id"><xsl:value-of select="concat('draw-', $mine)"/></xsl:attribute>
          <xsl:variable name="worst">
            <xsl:call-template name="worst"><xsl:with-param name="ref" select="$o/@ref"/></xsl:call-template>
          </xsl:variable>
          <xsl:if test="string($worst) != ''">
            <xsl:attribute name="class"><xsl:value-of select="concat(@class, ' f-', $worst)"/></xsl:attribute>
          </xsl:if>
          <xsl:apply-templates select="*" mode="draw"><xsl:with-param name="obj" select="$o"/></xsl:apply-templates>
        </xsl:when>
        <xsl:otherwise>
          <xsl:apply-templates select="@id" mode="draw-id"/>
          <xsl:apply-templates select="*" mode="draw"><xsl:with-param name="obj" select="$obj"/></xsl:apply-templates>
        </xsl:otherwise>
      </xsl:choose>
    </g>
  </xsl:template>

  <!-- the rest of Graphviz's drawing vocabulary; anything else (and comments) is left out -->
  <xsl:template match="svg:g|svg:polygon|svg:polyline|svg:ellipse|svg:path|svg:text" mode="draw">
    <xsl:param name="obj" select="/.."/>
    <xsl:element name="{local-name()}">
      <xsl:apply-templates select="@*[local-name() != 'id']" mode="draw"/>
      <xsl:apply-templates select="@id" mode="draw-id"/>
      <xsl:choose>
        <xsl:when test="self::svg:text"><xsl:value-of select="."/></xsl:when>
        <xsl:otherwise>
          <xsl:apply-templates select="*" mode="draw"><xsl:with-param name="obj" select="$obj"/></xsl:apply-templates>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:element>
  </xsl:template>

  <!-- Graphviz's own ids, apart from the report's -->
  <xsl:template match="@id" mode="draw-id">
    <xsl:attribute name="id"><xsl:value-of select="concat('draw-', .)"/></xsl:attribute>
  </xsl:template>

  <!-- Graphviz's tooltip link: a link to the object's row, the tooltip with its findings -->
  <xsl:template match="svg:a" mode="draw">
    <xsl:param name="obj" select="/.."/>
    <xsl:variable name="tip">
      <xsl:value-of select="@xlink:title"/>
      <xsl:for-each select="key('finding-by-object', $obj/@ref)">
        <xsl:text>&#10;</xsl:text>
        <xsl:value-of select="concat(@severity, ' ', @rule, ': ', message)"/>
      </xsl:for-each>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="$obj">
        <a href="#{$obj/@id}">
          <title><xsl:value-of select="$tip"/></title>
          <xsl:apply-templates select="*" mode="draw"/>
        </a>
      </xsl:when>
      <xsl:otherwise>
        <g>
          <xsl:if test="string($tip) != ''"><title><xsl:value-of select="$tip"/></title></xsl:if>
          <xsl:apply-templates select="*" mode="draw"/>
        </g>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="*" mode="draw"/>

  <!-- plain attributes only: no namespaced ones (xlink:href), no event handlers, no style -->
  <xsl:template match="@*" mode="draw">
    <xsl:if test="namespace-uri() = '' and not(starts-with(translate(local-name(), 'ON', 'on'), 'on'))
                  and local-name() != 'style' and local-name() != 'href' and local-name() != 'src'">
      <xsl:attribute name="{local-name()}"><xsl:value-of select="."/></xsl:attribute>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
