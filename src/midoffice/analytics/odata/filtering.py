"""``$filter``: parsed by the ``odata-query`` package, checked here, run by the ORM.

``odata-query`` parses the expression into an AST and turns an AST into a Django ``Q``.
It knows nothing of our entity types, so between the two this module walks the AST once:

* every name must be an exposed, filterable property of the entity (or, after a to-one
  navigation such as ``Team/Code``, a column of the related entity); it is renamed to its
  ORM path. A name that is not exposed — ``Subject``, ``Requester`` — is refused just like
  one that does not exist, so a filter can never reach data the feed does not show;
* literals must fit the property's type (a date for an ``Edm.Date``, a timestamp *with* an
  offset for an ``Edm.DateTimeOffset``, …) and functions their arguments, so the database
  never sees a comparison it cannot make: a bad filter is a 400 with a Dutch message,
  never a database error;
* a bare boolean property (``IsOpen``, ``not Overdue``) becomes ``IsOpen eq true``;
* ``any``/``all`` work over the to-many navigations (``Events/any(e: e/Kind eq '…')``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldError
from django.db.models import Q
from odata_query import ast
from odata_query import exceptions as odata_exceptions
from odata_query.django.django_q import AstToDjangoQVisitor
from odata_query.grammar import ODataLexer, ODataParser

from midoffice.analytics.odata.edm import EntitySet, Property
from midoffice.analytics.odata.errors import ODataError, bad_request

MAX_LENGTH = 4000
MAX_DEPTH = 60

_COMPARATORS = {
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.In: "in",
}

# name -> (argument families, result family); "temporal" is a date or a timestamp.
_FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "contains": (("string", "string"), "boolean"),
    "startswith": (("string", "string"), "boolean"),
    "endswith": (("string", "string"), "boolean"),
    "tolower": (("string",), "string"),
    "toupper": (("string",), "string"),
    "trim": (("string",), "string"),
    "length": (("string",), "number"),
    "indexof": (("string", "string"), "number"),
    "concat": (("string", "string"), "string"),
    "year": (("temporal",), "number"),
    "month": (("temporal",), "number"),
    "day": (("temporal",), "number"),
    "hour": (("datetime",), "number"),
    "minute": (("datetime",), "number"),
    "second": (("datetime",), "number"),
    "date": (("datetime",), "date"),
    "round": (("number",), "number"),
    "floor": (("number",), "number"),
    "ceiling": (("number",), "number"),
    "now": ((), "datetime"),
}

_FAMILY_NL = {
    "string": "tekst",
    "number": "een getal",
    "boolean": "true of false",
    "date": "een datum (2024-01-31)",
    "datetime": "een tijdstip met tijdzone (2024-01-31T09:00:00Z)",
    "temporal": "een datum of tijdstip",
}


@dataclass
class CompiledFilter:
    """A ``$filter`` ready for a queryset: the condition, and what it needs annotated."""

    condition: Q
    properties: set[str] = field(default_factory=set)  # our expression properties used
    annotations: dict[str, Any] = field(default_factory=dict)  # odata-query's own


@dataclass(frozen=True)
class _Scope:
    entity: EntitySet
    variable: str = ""  # the lambda variable, inside any()/all()


def _error(message: str) -> ODataError:
    return bad_request("InvalidFilter", message, target="$filter")


class _Checker:
    def __init__(self, root: EntitySet, sets: dict[str, EntitySet]) -> None:
        self.root = root
        self.sets = sets
        self.used: set[str] = set()

    # -- names ------------------------------------------------------------------------

    def _property(self, entity: EntitySet, name: str) -> Property:
        prop = entity.by_name.get(name)
        if prop is None:
            if name in entity.navigation_by_name:
                raise _error(
                    f"'{name}' is een verwijzing naar een andere tabel; "
                    f"filter op een eigenschap ervan, bv. {name}/Id."
                )
            raise _error(f"'{name}' is geen eigenschap van {entity.name}.")
        if not prop.queryable:
            raise _error(
                f"Op '{name}' kan niet gefilterd worden: het wordt per rij berekend. "
                "Filter erop in Power BI, na het laden."
            )
        return prop

    def identifier(self, node: ast.Identifier, scope: _Scope) -> tuple[ast._Node, str]:
        if node.namespace:
            raise _error(f"'{_name(node)}' wordt niet ondersteund.")
        if scope.variable:
            if node.name == scope.variable:
                raise _error(f"Gebruik {node.name}/<eigenschap> in de lambda.")
            raise _error(
                f"In any() of all() verwijst elke eigenschap naar de lambda, "
                f"bv. {scope.variable}/{node.name}."
            )
        prop = self._property(scope.entity, node.name)
        if prop.expression is not None:
            self.used.add(prop.name)
        return ast.Identifier(prop.column), prop.type.family

    def attribute(self, node: ast.Attribute, scope: _Scope) -> tuple[ast._Node, str]:
        parts: list[str] = []
        owner: ast._Node = node
        while isinstance(owner, ast.Attribute):
            parts.insert(0, owner.attr)
            owner = owner.owner
        if not isinstance(owner, ast.Identifier) or owner.namespace:
            raise _error("Een pad begint met een eigenschap, bv. Team/Code.")
        first = owner.name
        entity = scope.entity
        path: list[str] = []
        if scope.variable and first == scope.variable:
            via_lambda = True
        else:
            if scope.variable:
                raise _error(f"Begin een pad in de lambda met {scope.variable}/.")
            via_lambda = False
            parts.insert(0, first)
        *hops, last = parts
        for hop in hops:
            nav = entity.navigation_by_name.get(hop)
            if nav is None:
                raise _error(f"'{hop}' is geen verwijzing van {entity.name}.")
            if nav.many or not nav.relation:
                raise _error(
                    f"'{hop}' is een verzameling: gebruik {hop}/any(x: x/…) of {hop}/all(…)."
                )
            path.append(nav.relation)
            entity = self.sets[nav.target]
        prop = self._property(entity, last)
        if (path or via_lambda) and not prop.is_column:
            raise _error(f"'{last}' van {entity.name} kan hier niet gebruikt worden.")
        if not path and not via_lambda:
            return self.identifier(ast.Identifier(last), scope)
        orm = "__".join([*path, prop.column])
        if via_lambda:
            return ast.Attribute(ast.Identifier(scope.variable), orm), prop.type.family
        return ast.Identifier(orm), prop.type.family

    # -- literals ---------------------------------------------------------------------

    def literal(self, node: ast._Literal) -> tuple[ast._Node, str]:
        if isinstance(node, ast.Null):
            return node, "null"
        if isinstance(node, ast.Integer):
            if abs(node.py_val) >= 2**63:
                raise _error(f"Het getal {node.val} is te groot.")
            return node, "number"
        if isinstance(node, ast.Float):
            return node, "number"
        if isinstance(node, ast.Boolean):
            return node, "boolean"
        if isinstance(node, ast.String):
            return node, "string"
        if isinstance(node, ast.Date):
            try:
                node.py_val  # noqa: B018 - validates the date
            except ValueError:
                raise _error(f"'{node.val}' is geen geldige datum.") from None
            return node, "date"
        if isinstance(node, ast.DateTime):
            try:
                value = node.py_val
            except ValueError:
                raise _error(f"'{node.val}' is geen geldig tijdstip.") from None
            if value.tzinfo is None:
                raise _error(
                    f"Geef bij het tijdstip '{node.val}' de tijdzone, bv. {node.val}Z of "
                    f"{node.val}+01:00."
                )
            return node, "datetime"
        if isinstance(node, ast.List):
            families = set()
            for item in node.val:
                _, family = self.literal(item)
                families.add(family)
            families.discard("null")
            if len(families) > 1:
                raise _error("Alle waarden in een lijst (in) moeten van hetzelfde soort zijn.")
            return node, "list:" + (families.pop() if families else "null")
        raise _error(f"Waarden als '{getattr(node, 'val', node)}' worden niet ondersteund.")

    # -- expressions ------------------------------------------------------------------

    def check(self, node: ast._Node, scope: _Scope, depth: int = 0) -> tuple[ast._Node, str]:
        if depth > MAX_DEPTH:
            raise _error("De filter is te diep genest.")
        depth += 1
        if isinstance(node, ast.Identifier):
            return self.identifier(node, scope)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, scope)
        if isinstance(node, ast._Literal):
            return self.literal(node)
        if isinstance(node, ast.Compare):
            return self.compare(node, scope, depth)
        if isinstance(node, ast.BoolOp):
            left = self.condition(node.left, scope, depth)
            right = self.condition(node.right, scope, depth)
            return ast.BoolOp(node.op, left, right), "boolean"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ast.UnaryOp(node.op, self.condition(node.operand, scope, depth)), "boolean"
            operand, family = self.check(node.operand, scope, depth)
            if family != "number":
                raise _error("Een minteken staat alleen voor een getal.")
            return ast.UnaryOp(node.op, operand), "number"
        if isinstance(node, ast.BinOp):
            left, lf = self.check(node.left, scope, depth)
            right, rf = self.check(node.right, scope, depth)
            if lf != "number" or rf != "number":
                raise _error("Rekenen (add, sub, mul, div, mod) kan alleen met getallen.")
            return ast.BinOp(node.op, left, right), "number"
        if isinstance(node, ast.Call):
            return self.call(node, scope, depth)
        if isinstance(node, ast.CollectionLambda):
            return self.collection(node, scope, depth)
        raise _error("Dit deel van de filter wordt niet ondersteund.")

    def condition(self, node: ast._Node, scope: _Scope, depth: int) -> ast._Node:
        """``node`` as a condition; a bare boolean property means ``… eq true``."""
        checked, family = self.check(node, scope, depth)
        if family != "boolean":
            raise _error("Hier hoort een voorwaarde, bv. Channel eq 'email'.")
        if isinstance(checked, ast.Identifier | ast.Attribute):
            return ast.Compare(ast.Eq(), checked, ast.Boolean("true"))
        return checked

    def compare(self, node: ast.Compare, scope: _Scope, depth: int) -> tuple[ast._Node, str]:
        op = _COMPARATORS.get(type(node.comparator), "?")
        left, lf = self.check(node.left, scope, depth)
        right, rf = self.check(node.right, scope, depth)
        if lf == "null" and rf != "null":  # null eq X: odata-query wants the null right
            left, right, lf, rf = right, left, rf, lf
        if not _refers(left) and not _refers(right):
            raise _error("Een vergelijking heeft een eigenschap nodig, bv. TeamId eq 3.")
        if isinstance(node.comparator, ast.In):
            if not rf.startswith("list:"):
                raise _error("Na 'in' komt een lijst, bv. Channel in ('email', 'portal').")
            element = rf.removeprefix("list:")
            if element != "null" and not _fits(lf, element):
                raise _error(f"De waarden in de lijst moeten {_FAMILY_NL.get(lf, lf)} zijn.")
            return ast.Compare(node.comparator, left, right), "boolean"
        if rf.startswith("list:") or lf.startswith("list:"):
            raise _error("Een lijst kan alleen na 'in'.")
        if "null" in (lf, rf):
            if op not in ("eq", "ne"):
                raise _error(f"Met null kan alleen eq of ne, niet {op}.")
        elif not _fits(lf, rf):
            raise _error(
                f"Vergelijk {_FAMILY_NL.get(lf, lf)} met {_FAMILY_NL.get(lf, lf)}, "
                f"niet met {_FAMILY_NL.get(rf, rf)}."
            )
        return ast.Compare(node.comparator, left, right), "boolean"

    def call(self, node: ast.Call, scope: _Scope, depth: int) -> tuple[ast._Node, str]:
        name = _name(node.func).lower()
        signature = _FUNCTIONS.get(name)
        if signature is None:
            raise _error(f"De functie {_name(node.func)} wordt niet ondersteund.")
        families, result = signature
        args = list(node.args)
        expected = list(families)
        if name == "substring":
            expected = ["string", "number", "number"][: max(2, len(args))]
        if len(args) != len(expected):
            raise _error(f"{name}() verwacht {len(expected)} argument(en).")
        checked_args: list[ast._Node] = []
        for arg, want in zip(args, expected, strict=True):
            if isinstance(arg, ast.NamedParam):
                raise _error(f"{name}() met benoemde argumenten wordt niet ondersteund.")
            checked, family = self.check(arg, scope, depth)
            ok = family in ("date", "datetime") if want == "temporal" else family == want
            if not ok:
                raise _error(f"{name}() verwacht {_FAMILY_NL.get(want, want)}.")
            checked_args.append(checked)
        return ast.Call(node.func, checked_args), result

    def collection(
        self, node: ast.CollectionLambda, scope: _Scope, depth: int
    ) -> tuple[ast._Node, str]:
        owner = node.owner
        if scope.variable or not isinstance(owner, ast.Identifier) or owner.namespace:
            raise _error("any() en all() kunnen alleen op een verzameling van deze tabel.")
        nav = scope.entity.navigation_by_name.get(owner.name)
        if nav is None or not nav.many:
            raise _error(f"'{owner.name}' is geen verzameling van {scope.entity.name}.")
        if not nav.relation:
            raise _error(f"Op '{owner.name}' kan niet met any() of all() gefilterd worden.")
        target = self.sets[nav.target]
        lambda_ = node.lambda_
        if lambda_ is None and isinstance(node.operator, ast.All):
            raise _error("all() heeft een voorwaarde nodig.")
        variable = lambda_.identifier if lambda_ is not None else ast.Identifier("x")
        # Rows the target set leaves out (hidden) stay out of any() and all() too.
        visible: ast._Node | None = None
        for column, value in target.hidden:
            compare = ast.Compare(ast.NotEq(), ast.Attribute(variable, column), ast.String(value))
            visible = compare if visible is None else ast.BoolOp(ast.And(), visible, compare)
        owner_orm = ast.Identifier(nav.relation)
        if lambda_ is None:
            inner_lambda = None if visible is None else ast.Lambda(variable, visible)
            return ast.CollectionLambda(owner_orm, ast.Any(), inner_lambda), "boolean"
        scope_inner = _Scope(target, variable=variable.name)
        body = self.condition(lambda_.expression, scope_inner, depth)
        if isinstance(node.operator, ast.All):
            # all(x: c) is "no x with not c". odata-query 0.10 builds all() as an Exists
            # with negated=True, which Django (4+) ignores: it would answer any(x: not c).
            body = ast.UnaryOp(ast.Not(), body)
        if visible is not None:
            body = ast.BoolOp(ast.And(), visible, body)
        exists = ast.CollectionLambda(owner_orm, ast.Any(), ast.Lambda(variable, body))
        if isinstance(node.operator, ast.All):
            return ast.UnaryOp(ast.Not(), exists), "boolean"
        return exists, "boolean"


def _name(identifier: ast.Identifier) -> str:
    """``geo.distance`` for a namespaced name, ``Code`` for a plain one."""
    return ".".join((*identifier.namespace, identifier.name))


def _fits(left: str, right: str) -> bool:
    return left == right


def _refers(node: ast._Node) -> bool:
    """Whether ``node`` reads a property (not only literals)."""
    if isinstance(node, ast.Identifier | ast.Attribute):
        return True
    if isinstance(node, ast.Call):
        return any(_refers(a) for a in node.args) or _name(node.func).lower() == "now"
    if isinstance(node, ast.BinOp):
        return _refers(node.left) or _refers(node.right)
    if isinstance(node, ast.UnaryOp):
        return _refers(node.operand)
    return False


def parse(text: str) -> ast._Node:
    """The AST of a ``$filter`` expression; ODataError (400) when it cannot be read."""
    if len(text) > MAX_LENGTH:
        raise _error(f"De filter is te lang (meer dan {MAX_LENGTH} tekens).")
    try:
        tree: ast._Node = ODataParser().parse(ODataLexer().tokenize(text))
    except odata_exceptions.UnknownFunctionException as exc:
        raise _error(f"De functie {exc.function_name} wordt niet ondersteund.") from None
    except odata_exceptions.ArgumentCountException as exc:
        raise _error(f"{exc.function_name}() krijgt een verkeerd aantal argumenten.") from None
    except odata_exceptions.ODataSyntaxError as exc:
        token = getattr(exc, "token", None)
        where = f" bij '{token.value}' (positie {token.index + 1})" if token else " aan het einde"
        raise _error(f"De filter is niet leesbaar{where}.") from None
    except odata_exceptions.ODataException as exc:
        raise _error(f"De filter is niet leesbaar: {exc}.") from None
    return tree


def compile_filter(text: str, *, entity: EntitySet, sets: dict[str, EntitySet]) -> CompiledFilter:
    """``$filter`` → a ``Q`` over ``entity``'s model, checked against what the feed shows."""
    tree = parse(text)
    checker = _Checker(entity, sets)
    try:
        checked = checker.condition(tree, _Scope(entity), 0)
    except RecursionError:
        raise _error("De filter is te diep genest.") from None
    visitor = AstToDjangoQVisitor(entity.model)
    try:
        condition = visitor.visit(checked)
    except (odata_exceptions.ODataException, FieldError, TypeError, ValueError) as exc:
        raise _error(f"De filter kan niet uitgevoerd worden ({type(exc).__name__}).") from None
    return CompiledFilter(
        condition=condition, properties=checker.used, annotations=visitor.queryset_annotations
    )
